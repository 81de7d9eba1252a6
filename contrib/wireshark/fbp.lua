-- Wireshark dissector for FBP, the file backup protocol (ref/wire/SPEC.md).
--
-- Load it without a build:
--   wireshark -X lua_script:contrib/wireshark/fbp.lua capture.pcapng
--   tshark -X lua_script:contrib/wireshark/fbp.lua -r capture.pcapng -Y fbp
-- or copy it into the personal Lua plugins folder (Help > About Wireshark > Folders).
--
-- The server's port is a preference (Edit > Preferences > Protocols > FBP, or
-- `-o fbp.port:1234`): segments to it are requests, segments from it responses.
-- A message's header is reassembled across TCP segments; a payload is not held: its bytes are
-- shown as they pass, in the segments that carry them, so that a capture of a 4 GiB upload
-- opens as fast as any other. Malformed messages get expert-info warnings that cite the
-- requirement of SPEC.md they break.

local fbp = Proto("fbp", "File Backup Protocol")

local op_names = { [100] = "BACKUP", [200] = "RESTORE", [201] = "DELETE", [202] = "LIST" }
local status_names = {
    [210] = "restore-ok", [211] = "list-ok", [212] = "backup-ok/delete-ok",
    [1001] = "not-found", [1002] = "no-files", [1003] = "server-error",
}

local f = fbp.fields
f.user_id = ProtoField.uint32("fbp.user_id", "User ID", base.DEC)
f.version = ProtoField.uint8("fbp.version", "Version", base.DEC)
f.op = ProtoField.uint8("fbp.op", "Op", base.DEC, op_names)
f.status = ProtoField.uint16("fbp.status", "Status", base.DEC, status_names)
f.name_len = ProtoField.uint16("fbp.name_len", "Name length", base.DEC)
f.filename = ProtoField.string("fbp.filename", "Filename")
f.size = ProtoField.uint32("fbp.size", "Size", base.DEC)
f.payload = ProtoField.bytes("fbp.payload", "Payload")
f.trailing = ProtoField.bytes("fbp.trailing", "Bytes after the message")
f.request = ProtoField.none("fbp.request", "Request")
f.response = ProtoField.none("fbp.response", "Response")
f.payload_left = ProtoField.uint32("fbp.payload_left", "Payload bytes still to come", base.DEC)

local ef_after = ProtoExpert.new("fbp.bytes_after", "Bytes after a whole message",
    expert.group.MALFORMED, expert.severity.WARN)
local ef_unknown_op = ProtoExpert.new("fbp.unknown_op", "Unknown op",
    expert.group.MALFORMED, expert.severity.WARN)
local ef_unknown_status = ProtoExpert.new("fbp.unknown_status", "Unknown status",
    expert.group.MALFORMED, expert.severity.WARN)
local ef_short = ProtoExpert.new("fbp.size_past_payload", "Size past the payload",
    expert.group.MALFORMED, expert.severity.WARN)
local ef_version = ProtoExpert.new("fbp.version_not_1", "Version other than 1",
    expert.group.PROTOCOL, expert.severity.NOTE)
fbp.experts = { ef_after, ef_unknown_op, ef_unknown_status, ef_short, ef_version }

fbp.prefs.port = Pref.uint("Server port", 1234, "The TCP port of the FBP server")

local f_tcp_flags_fin = Field.new("tcp.flags.fin")
local f_tcp_flags_reset = Field.new("tcp.flags.reset")

-- State across segments, per connection direction (conn_key) or connection (conn_id). What
-- the first pass saw is kept by frame, so that a later pass (a click in the GUI, tshark -2)
-- shows the same.
local pending = {}      -- direction -> { left = payload bytes still owed by its last header }
local at_frame = {}     -- "frame:direction" -> that direction's left when the frame was first dissected
local last_op = {}      -- connection -> op of its last request
local answered_op = {}  -- "frame:offset" of a response -> op of the request it answers
local history = {}      -- direction -> { {frame, left after it}, ... } in frame order
local ended = {}        -- frame of a close -> payload bytes owed when it came

-- conn_id names a connection by its addresses and ports, which every pass knows (a field such
-- as tcp.stream may be absent from a pass that builds no tree); conn_key one of its directions.
local function conn_id(pinfo, is_request)
    local client, server
    if is_request then
        client = tostring(pinfo.src) .. ":" .. pinfo.src_port
        server = tostring(pinfo.dst) .. ":" .. pinfo.dst_port
    else
        client = tostring(pinfo.dst) .. ":" .. pinfo.dst_port
        server = tostring(pinfo.src) .. ":" .. pinfo.src_port
    end
    return client .. ">" .. server
end

local function conn_key(pinfo, is_request)
    return conn_id(pinfo, is_request) .. (is_request and ":c" or ":s")
end

local function describe_short(is_request)
    if is_request then
        return "a request cut short: its size states more payload than the client sent before the close (R-7.1)"
    end
    return "a response cut short: its size states more payload than the server sent before the close (R-3.1)"
end

-- The length of the header whose first bytes are in tvb at off; nil when more bytes are needed
-- to know it or to hold it.
local function request_header_len(tvb, off, avail)
    if avail < 6 then return nil end
    local op = tvb(off + 5, 1):uint()
    if op == 202 then return 6 end
    if op == 200 or op == 201 or op == 100 then
        if avail < 8 then return nil end
        local n = tvb(off + 6, 2):le_uint()
        local hl = 8 + n
        if op == 100 then hl = hl + 4 end
        if avail < hl then return nil end
        return hl
    end
    return 6 -- unknown op: the layout ends here
end

local function response_header_len(tvb, off, avail)
    if avail < 3 then return nil end
    local st = tvb(off + 1, 2):le_uint()
    if st == 1002 or st == 1003 then return 3 end
    if st == 212 or st == 1001 or st == 210 or st == 211 then
        if avail < 5 then return nil end
        local n = tvb(off + 3, 2):le_uint()
        local hl = 5 + n
        if st == 210 or st == 211 then hl = hl + 4 end
        if avail < hl then return nil end
        return hl
    end
    return 3 -- unknown status
end

-- named is the name of a code in names; a code not in it is flagged on item, with why.
local function named(item, code, names, expert, why)
    local name = names[code]
    if name == nil then
        item:add_proto_expert_info(expert, why)
    end
    return name
end

-- dissect_message adds the message at off to tree and returns the payload length its size
-- states, and whether its layout is known.
local function dissect_message(tvb, off, hl, tree, is_request, pinfo, asked)
    local sub, summary
    local has_name, has_size, known = false, false, true
    if is_request then
        sub = tree:add(f.request, tvb(off, hl))
        sub:add_le(f.user_id, tvb(off, 4))
        local vi = sub:add(f.version, tvb(off + 4, 1))
        if tvb(off + 4, 1):uint() ~= 1 then
            vi:add_proto_expert_info(ef_version, "version " .. tvb(off + 4, 1):uint() .. ": clients send 1 (R-7.2)")
        end
        local op = tvb(off + 5, 1):uint()
        local name = named(sub:add(f.op, tvb(off + 5, 1)), op, op_names, ef_unknown_op,
            "unknown op " .. op .. ": not 100, 200, 201 or 202 (R-7.2); a server answers 1003 (R-5.2)")
        known = name ~= nil
        summary = name or ("unknown op " .. op)
        has_name = op == 100 or op == 200 or op == 201
        has_size = op == 100
        off = off + 6
    else
        sub = tree:add(f.response, tvb(off, hl))
        sub:add(f.version, tvb(off, 1))
        local st = tvb(off + 1, 2):le_uint()
        local name = named(sub:add_le(f.status, tvb(off + 1, 2)), st, status_names, ef_unknown_status,
            "unknown status " .. st .. ": not one of 210, 211, 212, 1001, 1002, 1003 (R-3.1)")
        known = name ~= nil
        if name == nil then
            summary = "unknown status " .. st
        else
            if st == 212 and asked == 100 then name = "backup-ok" end
            if st == 212 and asked == 201 then name = "delete-ok" end
            summary = st .. " " .. name
        end
        has_name = st == 210 or st == 211 or st == 212 or st == 1001
        has_size = st == 210 or st == 211
        off = off + 3
    end
    local size = 0
    if has_name then
        local n = tvb(off, 2):le_uint()
        sub:add_le(f.name_len, tvb(off, 2))
        if n > 0 then
            sub:add(f.filename, tvb(off + 2, n))
            summary = summary .. " " .. tvb(off + 2, n):string()
        else
            sub:add(f.filename, tvb(off + 2, 0))
        end
        off = off + 2 + n
    end
    if has_size then
        size = tvb(off, 4):le_uint()
        sub:add_le(f.size, tvb(off, 4))
        summary = summary .. ", " .. size .. " bytes"
    end
    sub:append_text(": " .. summary)
    return size, known, sub, summary
end

function fbp.dissector(tvb, pinfo, tree)
    local is_request = pinfo.dst_port == fbp.prefs.port
    local k = conn_key(pinfo, is_request)
    local fk = tostring(pinfo.number) .. ":" .. k
    local st = pending[k]
    if st == nil then st = { left = 0 }; pending[k] = st end

    local left
    if not pinfo.visited and at_frame[fk] == nil then
        at_frame[fk] = st.left
        left = st.left
    else
        left = at_frame[fk] or st.left
    end

    pinfo.cols.protocol = "FBP"
    local root = tree:add(fbp, tvb(), "File Backup Protocol")
    local off, len = 0, tvb:len()
    local summary = {}

    -- The rest of a payload whose header came in an earlier segment.
    if left > 0 then
        local n = math.min(left, len)
        root:add(f.payload, tvb(0, n)):append_text(" (continued)")
        left = left - n
        root:add(f.payload_left, left):set_generated()
        off = n
        if left > 0 then
            table.insert(summary, "payload, " .. left .. " bytes still to come")
        else
            table.insert(summary, "the rest of the payload")
        end
    end

    local after_message = false
    while off < len do
        if after_message then
            local ti = root:add(f.trailing, tvb(off))
            if is_request then
                ti:add_proto_expert_info(ef_after, (len - off) .. " bytes after " .. after_message ..
                    ", before its response (" .. (after_message == "a LIST" and "R-2.1, R-7.1" or "R-7.1") .. ")")
            else
                ti:add_proto_expert_info(ef_after, (len - off) .. " bytes after " .. after_message .. " (R-3.1)")
            end
            table.insert(summary, "[" .. (len - off) .. " bytes after it]")
            off = len
            break
        end
        local avail = len - off
        local hl
        if is_request then hl = request_header_len(tvb, off, avail)
        else hl = response_header_len(tvb, off, avail) end
        if hl == nil then
            -- The header continues in the next segment: ask TCP to reassemble it.
            -- Whole segments, not the bytes the header lacks: the payload after the header
            -- then comes in the same call, and the per-frame state stays one entry a frame.
            pinfo.desegment_offset = off
            pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
            break
        end
        local start = off
        -- A 212 is named by the request it answers: the connection's last one, as the first
        -- pass saw it.
        local ck = conn_id(pinfo, is_request)
        local rk = tostring(pinfo.number) .. ":" .. off
        if is_request then
            if not pinfo.visited then last_op[ck] = tvb(off + 5, 1):uint() end
        elseif not pinfo.visited and answered_op[rk] == nil then
            answered_op[rk] = last_op[ck] or 0
        end
        local size, known, sub, text = dissect_message(tvb, off, hl, root, is_request, pinfo, answered_op[rk])
        off = off + hl
        local here = math.min(size, len - off)
        if size > 0 then
            if here > 0 then sub:add(f.payload, tvb(off, here)) else sub:add(f.payload, tvb(off, 0)) end
            off = off + here
        end
        left = size - here
        if left > 0 then sub:add(f.payload_left, left):set_generated() end
        table.insert(summary, text)
        if not known then
            -- The layout of an unknown op or status is unknown: the rest cannot be read.
            if off < len then root:add(f.trailing, tvb(off)) end
            off = len
            break
        end
        if left == 0 then
            if is_request then
                local op = tvb(start + 5, 1):uint()
                after_message = op == 202 and "a LIST" or ("a whole " .. op_names[op])
            else
                after_message = "a whole " .. tvb(start + 1, 2):le_uint() .. " response"
            end
        end
    end

    if not pinfo.visited then
        st.left = left
        local h = history[k]
        if h == nil then h = {}; history[k] = h end
        h[#h + 1] = { pinfo.number, left }
    end
    if #summary > 0 then
        pinfo.cols.info = (is_request and "Request" or "Response") .. ": " .. table.concat(summary, "; ")
    end
    -- All of tvb is taken: what is not dissected here waits for reassembly.
    return len
end

-- The close of a connection with a payload still owed: a post-dissector sees the FIN or RST
-- segment, which carries no bytes for the dissector above.
local fbp_close = Proto("fbp_close", "FBP close")
function fbp_close.dissector(tvb, pinfo, tree)
    local fin, rst = f_tcp_flags_fin(), f_tcp_flags_reset()
    if not ((fin and fin.value) or (rst and rst.value)) then return end
    local is_request = pinfo.dst_port == fbp.prefs.port
    if not is_request and pinfo.src_port ~= fbp.prefs.port then return end
    -- What was owed when the close came: the state after the direction's last segment before
    -- it. The history is written in the first pass, which sees every segment in order; the
    -- pass that shows this close may come later (Wireshark's window, tshark -2).
    local left = ended[pinfo.number]
    if left == nil then
        left = 0
        local h = history[conn_key(pinfo, is_request)]
        if h then
            for i = #h, 1, -1 do
                if h[i][1] < pinfo.number then left = h[i][2]; break end
            end
        end
        ended[pinfo.number] = left
    end
    if left > 0 then
        local root = tree:add(fbp, tvb(0, 0), "File Backup Protocol")
        root:add(f.payload_left, left):set_generated()
        root:add_proto_expert_info(ef_short, describe_short(is_request) .. ": " .. left .. " bytes missing")
    end
end
register_postdissector(fbp_close)

local registered
local function register_port()
    local tcp = DissectorTable.get("tcp.port")
    if registered then tcp:remove(registered, fbp) end
    registered = fbp.prefs.port
    tcp:add(registered, fbp)
end

function fbp.prefs_changed() register_port() end

function fbp.init()
    pending, at_frame, history, ended, last_op, answered_op = {}, {}, {}, {}, {}, {}
end

register_port()
