import Redis

/// The Lua scripts behind `RedisQueueStore`: SQS semantics on Redis Streams, each operation one atomic script so
/// instances sharing a queue never receive, settle or move the same message twice.
///
/// Per queue: a stream (entries `id`, `body`, `sent` in ms, and when carried over `rc` — receives before this entry
/// —, `err`, `origin`) read through one consumer group, whose pending list is the in-flight set: its delivery
/// count is the receive count and its idle time the visibility timeout (an entry idle past it is received again,
/// claimed). A sorted set holds delayed messages (MessagePack, scored by when they are due); a hash holds what the
/// immutable entries cannot: `ENTRYe` the last error, `ENTRYf` the first receive (ms). Times are the server's.
enum QueueScripts {
    static let common = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        local function ensure_group(stream, group)
          if redis.call('EXISTS', stream) == 0 then
            redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
          end
        end

        -- A number as Redis should read it (integral: Redis would write a large one with an exponent).
        local function str(v)
          if type(v) == 'number' then return string.format('%.0f', v) end
          return v
        end

        local function fields_of(list)
          local f = {}
          for i = 1, #list, 2 do f[list[i]] = list[i + 1] end
          return f
        end

        -- A message as a new entry: id, body and sent kept; rc, err and origin when it has them.
        local function add_entry(stream, id, body, sent, rc, err, origin)
          local args = {'id', id, 'body', body, 'sent', str(sent)}
          if rc and tonumber(rc) > 0 then args[#args + 1] = 'rc'; args[#args + 1] = str(rc) end
          if err and err ~= '' then args[#args + 1] = 'err'; args[#args + 1] = err end
          if origin and origin ~= '' then args[#args + 1] = 'origin'; args[#args + 1] = origin end
          return redis.call('XADD', stream, '*', unpack(args))
        end

        -- An entry gone for good: off the pending list and the stream, its last error and first receive with it.
        local function forget(stream, group, info, entry)
          redis.call('XACK', stream, group, entry)
          redis.call('XDEL', stream, entry)
          redis.call('HDEL', info, entry .. 'e', entry .. 'f')
        end

        -- Delayed messages now due join the stream. The ZREM comes first: once a script has written, Redis lets
        -- it add (XADD) even at maxmemory, so a full server cannot wedge the consumers that would drain it.
        local function promote(stream, delayed, now)
          local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1000)
          for _, member in ipairs(due) do
            local m = cmsgpack.unpack(member)
            redis.call('ZREM', delayed, member)
            add_entry(stream, m[1], m[2], m[3], m[4], m[5], m[6])
          end
        end

        """

    /// The sends one event loop made in one tick, stored in order (a key repeated within the batch gets the first
    /// send's id). KEYS, per send: its queue's stream and delayed set, and its idempotency key (its stream again when
    /// it has none). ARGV: the send count, then per send: message id, body, delay (ms), has a key (0/1), and last
    /// the idempotency TTL (ms).
    /// Reply, flat, per send: 1 and its id when stored, or 0 and the first id of its repeated key.
    static let send = RedisScript(common + """
        local count, ttl = tonumber(ARGV[1]), ARGV[#ARGV]
        local now = now_ms()
        local ready, out = {}, {}
        for i = 0, count - 1 do
          local stream, delayed, key = KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3]
          local id, body, delay, keyed = ARGV[4 * i + 2], ARGV[4 * i + 3], tonumber(ARGV[4 * i + 4]), ARGV[4 * i + 5] == '1'
          local first = keyed and redis.call('GET', key)
          if first then
            out[#out + 1] = 0
            out[#out + 1] = first
          else
            if not ready[stream] then
              ensure_group(stream, 'portcullis')
              ready[stream] = true
            end
            if delay > 0 then
              redis.call('ZADD', delayed, now + delay, cmsgpack.pack({id, body, str(now), '0', '', ''}))
            else
              add_entry(stream, id, body, now)
            end
            if keyed then redis.call('SET', key, id, 'PX', ttl) end
            out[#out + 1] = 1
            out[#out + 1] = id
          end
        end
        return out
        """)

    /// KEYS: stream, delayed set, info hash, then the dead-letter queue's stream when there is one.
    /// ARGV: group, consumer, max, visibility timeout (ms), maxReceiveCount (0: none), retention (ms), max bytes,
    /// the queue's name (a dead letter's origin).
    /// Reply: {deliveries, expired, dead-lettered}; a delivery is {entry, id, body, sent, receive count, first
    /// receive, last error, origin}.
    static let receive = RedisScript(common + """
        local stream, delayed, info, dlq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        local group, consumer = ARGV[1], ARGV[2]
        local max, vis, limit = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local retention, max_bytes = tonumber(ARGV[6]), tonumber(ARGV[7])
        local now = now_ms()
        ensure_group(stream, group)
        promote(stream, delayed, now)
        local out, bytes, expired, dead = {}, 0, 0, 0

        -- False when the entry went: past its retention, or received `prior` times already (to the dead letters).
        local function keep(entry, f, prior)
          if now - tonumber(f.sent) >= retention then
            forget(stream, group, info, entry)
            expired = expired + 1
            return false
          end
          if limit > 0 and prior >= limit then
            -- Forgotten first, for the same reason as promote's ZREM: the move then works at maxmemory too.
            local err = redis.call('HGET', info, entry .. 'e') or f.err
            forget(stream, group, info, entry)
            if dlq then
              ensure_group(dlq, group)
              add_entry(dlq, f.id, f.body, f.sent, prior, err, ARGV[8])
            end
            dead = dead + 1
            return false
          end
          return true
        end

        local function deliver(entry, f, receives)
          local first = redis.call('HGET', info, entry .. 'f')
          if not first then
            first = str(now)
            redis.call('HSET', info, entry .. 'f', first)
          end
          local err = redis.call('HGET', info, entry .. 'e') or f.err or ''
          bytes = bytes + #f.body
          out[#out + 1] = {entry, f.id, f.body, f.sent, receives, first, err, f.origin or ''}
        end

        -- Messages whose visibility timeout ended: claimed again, their delivery count one more.
        local stale = redis.call('XPENDING', stream, group, 'IDLE', str(vis), '-', '+', max)
        for _, p in ipairs(stale) do
          if #out >= max then break end
          local entry, count = p[1], tonumber(p[4])
          local found = redis.call('XRANGE', stream, entry, entry)
          if #found == 0 then
            forget(stream, group, info, entry)
          else
            local f = fields_of(found[1][2])
            local prior = (tonumber(f.rc) or 0) + count
            if keep(entry, f, prior) then
              if #out > 0 and bytes + #f.body > max_bytes then break end
              redis.call('XCLAIM', stream, group, consumer, 0, entry)
              deliver(entry, f, prior + 1)
            end
          end
        end

        -- New messages, sized before they are read: the entries after the group's last-delivered id are looked
        -- at (XRANGE) and only those that fit the byte budget are read (XREADGROUP), so nothing is read and put
        -- back. Expired and dead-lettered entries are dropped on the way; at most `max` + 1000 entries are looked
        -- at in one call, so a backlog of them cannot stall the server.
        local last = '0-0'
        for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
          local fields = fields_of(g)
          if fields.name == group then last = fields['last-delivered-id'] end
        end
        local looked, full = 0, false
        while #out < max and not full and looked < max + 1000 do
          local ahead = redis.call('XRANGE', stream, '(' .. last, '+', 'COUNT', max - #out)
          if #ahead == 0 then break end
          local take, room = 0, bytes
          for _, e in ipairs(ahead) do
            local size = #fields_of(e[2]).body
            if #out + take > 0 and room + size > max_bytes then
              full = true
              break
            end
            take = take + 1
            room = room + size
          end
          if take == 0 then break end
          local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', take, 'STREAMS', stream, '>')
          if not read then break end
          for _, e in ipairs(read[1][2]) do
            local entry, f = e[1], fields_of(e[2])
            last = entry
            looked = looked + 1
            if keep(entry, f, tonumber(f.rc) or 0) then deliver(entry, f, (tonumber(f.rc) or 0) + 1) end
          end
        end
        return {out, expired, dead}
        """)

    /// KEYS: stream, info hash. ARGV: group, consumer, visibility timeout (ms), then per message: entry, receive
    /// count it was delivered with, `d` (delete) or `f` (fail), the error, the retry delay (ms; -1: the visibility
    /// timeout). A receipt whose message was received again since (another count) or is gone does nothing.
    /// Reply: how many were deleted.
    static let settle = RedisScript(common + """
        local stream, info, group, consumer = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
        local vis = tonumber(ARGV[3])
        local deleted = 0
        for i = 4, #ARGV, 5 do
          local entry, generation, action = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
          local p = redis.call('XPENDING', stream, group, entry, entry, 1)
          local found = redis.call('XRANGE', stream, entry, entry)
          if #p == 1 and #found == 1 and (tonumber(fields_of(found[1][2]).rc) or 0) + tonumber(p[1][4]) == generation then
            if action == 'd' then
              forget(stream, group, info, entry)
              deleted = deleted + 1
            else
              redis.call('HSET', info, entry .. 'e', ARGV[i + 3])
              local delay = tonumber(ARGV[i + 4])
              if delay >= 0 then
                -- Idle as long as makes it due in `delay` (JUSTID: the receive count stays).
                redis.call('XCLAIM', stream, group, consumer, 0, entry, 'IDLE', str(math.max(0, vis - delay)), 'JUSTID')
              end
            end
          end
        end
        return deleted
        """)

    /// KEYS: stream, delayed set. ARGV: group.
    /// Reply: {visible, in flight, delayed, oldest sent (ms, '' when empty), now (ms)}.
    static let statistics = RedisScript(common + """
        local length = redis.call('XLEN', KEYS[1])
        local in_flight = 0
        if length > 0 then
          local summary = redis.pcall('XPENDING', KEYS[1], ARGV[1])
          if type(summary) == 'table' and not summary.err then in_flight = tonumber(summary[1]) end
        end
        local oldest = nil
        local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
        if #first > 0 then oldest = tonumber(fields_of(first[1][2]).sent) end
        for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, 0)) do
          local sent = tonumber(cmsgpack.unpack(member)[3])
          if oldest == nil or sent < oldest then oldest = sent end
        end
        local now = now_ms()
        -- Delayed messages past their due time are visible (a receive or the sweep moves them to the stream).
        local due = redis.call('ZCOUNT', KEYS[2], '-inf', now)
        return {length - in_flight + due, in_flight, redis.call('ZCARD', KEYS[2]) - due, oldest and str(oldest) or '',
                str(now)}
        """)

    /// KEYS: stream, delayed set, info hash. ARGV: group, limit, max bytes.
    /// Reply: up to `limit` messages, the stream's oldest first then the delayed ones, their bodies within max bytes
    /// (one always): {id, body, sent, receive count, last error, origin, first receive ('' for none)}.
    static let peek = RedisScript(common + """
        local limit, max_bytes = tonumber(ARGV[2]), tonumber(ARGV[3])
        local out, bytes = {}, 0
        for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', limit)) do
          local f = fields_of(e[2])
          if #out > 0 and bytes + #f.body > max_bytes then return out end
          bytes = bytes + #f.body
          local receives = tonumber(f.rc) or 0
          local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
          if type(p) == 'table' and not p.err and #p == 1 then receives = receives + tonumber(p[1][4]) end
          local err = redis.call('HGET', KEYS[3], e[1] .. 'e') or f.err or ''
          local first = redis.call('HGET', KEYS[3], e[1] .. 'f') or ''
          out[#out + 1] = {f.id, f.body, f.sent, receives, err, f.origin or '', first}
        end
        if #out < limit then
          for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, limit - #out - 1)) do
            local m = cmsgpack.unpack(member)
            if #out > 0 and bytes + #m[2] > max_bytes then return out end
            bytes = bytes + #m[2]
            out[#out + 1] = {m[1], m[2], m[3], tonumber(m[4]) or 0, m[5], m[6], ''}
          end
        end
        return out
        """)

    /// KEYS: stream, delayed set, info hash. ARGV: group. Reply: how many messages were removed.
    static let purge = RedisScript(common + """
        local removed = redis.call('XLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
        redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3])
        redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
        return removed
        """)

    /// KEYS: the dead-letter queue's stream and info hash, then the stream of each queue that sends its dead
    /// letters there. ARGV: group, batch size, start (an XRANGE bound), then those queues' names in KEYS' order.
    /// A message goes back to its origin with a fresh receive count and `sent`, its last error kept; one whose
    /// origin is not among them stays. Reply: {moved, last entry looked at ('' for none), entries looked at}.
    static let redrive = RedisScript(common + """
        local sources = {}
        for i = 4, #ARGV do sources[ARGV[i]] = KEYS[i - 1] end
        ensure_group(KEYS[1], ARGV[1])
        local now = now_ms()
        local entries = redis.call('XRANGE', KEYS[1], ARGV[3], '+', 'COUNT', ARGV[2])
        local moved, last = 0, ''
        for _, e in ipairs(entries) do
          last = e[1]
          local f = fields_of(e[2])
          local target = f.origin and sources[f.origin]
          if target then
            ensure_group(target, ARGV[1])
            add_entry(target, f.id, f.body, now, 0, redis.call('HGET', KEYS[2], e[1] .. 'e') or f.err)
            forget(KEYS[1], ARGV[1], KEYS[2], e[1])
            moved = moved + 1
          end
        end
        return {moved, last, #entries}
        """)

    /// KEYS: stream, delayed set, info hash. ARGV: retention (ms), group, idle time (ms) past which a consumer
    /// holding nothing is forgotten, batch size.
    /// Moves due delayed messages to the stream (a queue without a consumer has no receives to do it), drops up to
    /// a batch of entries that arrived longer ago than the retention (with their pending entries and info), and,
    /// once none is left, the group's consumers that hold nothing and were not heard from for the idle time (each
    /// process start is a new consumer: without this the group would list every instance that ever ran).
    /// Reply: how many entries went.
    static let expire = RedisScript(common + """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local now = now_ms()
        promote(KEYS[1], KEYS[2], now)
        local old = redis.call('XRANGE', KEYS[1], '-', str(now - tonumber(ARGV[1]) - 1), 'COUNT', ARGV[4])
        for _, e in ipairs(old) do
          forget(KEYS[1], ARGV[2], KEYS[3], e[1])
        end
        if #old < tonumber(ARGV[4]) then
          local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[2])
          if type(consumers) == 'table' and not consumers.err then
            for _, c in ipairs(consumers) do
              local f = fields_of(c)
              if tonumber(f.pending) == 0 and tonumber(f.idle) > tonumber(ARGV[3]) then
                redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[2], f.name)
              end
            end
          end
        end
        return #old
        """)

    static let all = [send, receive, settle, statistics, peek, purge, redrive, expire]
}
