package storage

// OpenFolders is how many user folders s keeps open.
func OpenFolders(s *FS) int {
	s.foldersMu.Lock()
	defer s.foldersMu.Unlock()
	return len(s.folders)
}

// MaxOpenFolders is the bound of OpenFolders.
const MaxOpenFolders = maxOpenFolders
