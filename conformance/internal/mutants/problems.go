package mutants

// The problem conform must report each fault as, by its stable ID: what a run against a mutant
// is judged by (no problem missing, none naming a cause that was not injected). A fault not
// listed has no single problem agreed yet.
var problems = map[fault]string{
	faultMissingFile1003:          "missing-file-status",
	faultDeleteMissingOK:          "missing-file-status",
	faultMissingUser1002:          "missing-file-status",
	faultOKTrailingSize:           "trailing-212",
	faultNoFilesExtraFields:       "trailing-1002",
	faultListTrailingNUL:          "trailing-211",
	faultStatusBigEndian:          "status-byte-order",
	faultVersionZero:              "version-byte",
	faultListHangs:                "list-needs-name-len",
	faultDiesOnUnknownOp:          "dies-on-unknown-op",
	faultDiesOnReset:              "dies-on-early-close",
	faultDiesOnConnectClose:       "dies-on-early-close",
	faultDiesOnTruncatedHeader:    "dies-on-early-close",
	faultSeed003:                  "status-map-seed003",
	faultTraversalWrite:           "unsafe-names-accepted",
	faultTraversalRead:            "unsafe-names-accepted",
	faultTraversalDelete:          "unsafe-names-accepted",
	faultUnsafeNameAccepted:       "unsafe-names-accepted",
	faultRestoreDotListsFolder:    "unsafe-names-accepted",
	faultDeleteDotRemovesFolder:   "unsafe-names-accepted",
	faultListCommaJoined:          "listing-format",
	faultListQuotedPaths:          "listing-format",
	faultListShowsListing:         "server-file-listed",
	faultListStaleAfterDelete:     "r-4-4-listing",
	faultListShowsTempFile:        "server-file-listed",
	faultListOtherUsers:           "r-4-4-listing",
	faultListRepeatsOverwritten:   "r-4-4-listing",
	faultListNameEmpty:            "listing-name",
	faultListName31:               "listing-name",
	faultListNameFixed:            "r-4-4-list-name-format",
	faultSizeBeforeName:           "size-before-name",
	faultFixedHeader:              "size-before-name",
	faultPayloadWithHeaderDropped: "backup-payload-dropped",
	faultServesOneAtATime:         "serves-one-at-a-time",
	faultSecondPerRequest:         "slow-answers",
	faultLateAnswer:               "slow-answers",
	faultOKNameMissing:            "cut-212",
	faultNotFoundNameMissing:      "cut-1001",
	faultNotFoundNameStalls:       "cut-1001",
	faultRefusedPayloadUnread:     "refused-payload-read-as-request",
	faultLengthPrefixed:           "length-prefix",
	faultFrames1024:               "fixed-frames",
	faultSilent:                   "no-answer",
	faultHTTP:                     "not-fbp",
	faultDrip:                     "drips",
	faultTruncatesOver1MiB:        "content-size",
	faultTruncatesAt64KiB:         "content-size",
	faultContentStopsAtNUL:        "content-size",
	faultContentTextMode:          "content-size",
	faultOverwriteAppends:         "content-size",
	faultPartialUploadStored:      "partial-upload-kept",
	faultEmptyFileBeforePayload:   "partial-upload-kept",
	faultRestoreWrongName:         "r-4-2-name-mismatch",
	faultOKWrongName:              "r-4-1-name-mismatch",
	faultSplitHeaderCloses:        "reads-request-in-one-read",
	faultShortReadCloses:          "reads-request-in-one-read",
	faultUnknownOpCloses:          "r-5-2-closed-unknown-op",
	faultUnknownOp1001:            "status-want-1003-got-1001",
	faultNoFilesAsEmptyList:       "status-want-1002-got-211",
	faultName255Rejected:          "valid-name-refused",
	faultNameOneCharRejected:      "valid-name-refused",
	faultNameDotsStripped:         "valid-name-refused",
	faultBackupEmptyRejected:      "status-want-212-got-1003",
	faultRestoreEmpty1001:         "status-want-210-got-1001",
	faultTornOverwrite:            "concurrent-uploads-mix",
	faultBadNameCloses:            "bad-name-unanswered",
	faultNameLenEveryOp:           "list-needs-name-len",
}

// problemsIn are the problems a fault is reported as in one mutant, where its dialect names
// the status otherwise.
var problemsIn = map[string]map[fault]string{
	// Seed 003 answers 210 to a BACKUP: its refusal of an empty file is judged against 210.
	realSeed003: {faultBackupEmptyRejected: "status-want-210-got-1001"},
}

// Problems maps each fault m switches on to the ID of the problem conform must report it as;
// ok is false when a fault has none agreed. The map of a fault-free mutant, or of one whose
// behaviour the spec allows, is empty.
func (m Mutant) Problems() (ids map[string]string, ok bool) {
	ids = map[string]string{}
	if m.Allowed {
		return ids, true
	}
	for _, f := range m.Faults {
		id := problemsIn[m.Name][fault(f)]
		if id == "" {
			id = problems[fault(f)]
		}
		if id == "" {
			return ids, false
		}
		ids[f] = id
	}
	return ids, true
}
