import Redis

/// The Lua scripts behind `RedisRateWindowStore`: the memory store's sliding windows (`SlidingWindow`, 128 slots
/// per window, a slot counted until it lies wholly outside the window) kept as one hash per key (slot → count),
/// and one sorted set per rule of its keys by the last slot they were seen in, which bounds the keys a rule tracks
/// (the stalest is forgotten, as `RateKeyTable` does) and lists them for the admin API. Times in microseconds.
enum RateWindowScripts {
    static let common = LimitScripts.common + """
        local SLOTS = 128

        -- The live count of a window hash, dropping slots before first_live.
        local function live_total(key, first_live)
          local fields = redis.call('HGETALL', key)
          local total = 0
          for j = 1, #fields, 2 do
            local slot = tonumber(fields[j])
            if slot < first_live then redis.call('HDEL', key, fields[j]) else total = total + tonumber(fields[j + 1]) end
          end
          return total
        end

        """

    /// Several requests' hits (the requests one event loop decided in one tick), each request's in order until
    /// one decides, as the memory store records them.
    /// KEYS: per hit, its key's window hash, its rule's key set and its rule's label hash.
    /// ARGV: the request count, then per request: now (µs, or ''), hit count, then per hit: slot length (µs), limit,
    /// counts refused (0/1), decides (0/1), max tracked keys, window hash prefix, member, label ('' for none).
    /// Reply, one flat list, per request in turn: the deciding hit (-1 for none), how many hits were over, then
    /// their indexes (0-based).
    static let record = RedisScript(common + """
        local server_now = nil
        local replies = {}
        local a, k = 2, 1
        for r = 1, tonumber(ARGV[1]) do
          local now
          if ARGV[a] == '' then
            if server_now == nil then server_now = clock('') end
            now = server_now
          else
            now = tonumber(ARGV[a])
          end
          local n = tonumber(ARGV[a + 1])
          local first_arg, first_key = a + 2, k
          local over = {}
          local deciding = -1
          for i = 1, n do
            local a = first_arg + (i - 1) * 8 - 1
            local window, members, labels = KEYS[first_key + 3 * i - 3], KEYS[first_key + 3 * i - 2], KEYS[first_key + 3 * i - 1]
            local slot_length = tonumber(ARGV[a + 1])
            local limit = tonumber(ARGV[a + 2])
            local counts_refused = ARGV[a + 3] == '1'
            local decides = ARGV[a + 4] == '1'
            local max_keys = tonumber(ARGV[a + 5])
            local window_prefix, member, label = ARGV[a + 6], ARGV[a + 7], ARGV[a + 8]
            local slot = floordiv(now, slot_length)
            local total = live_total(window, slot - SLOTS)
            local is_over
            if counts_refused then
              redis.call('HINCRBY', window, int(slot), 1)
              is_over = total + 1 > limit
            elseif total < limit then
              redis.call('HINCRBY', window, int(slot), 1)
              is_over = false
            else
              is_over = true
            end
            -- Every slot is gone two windows after the last hit.
            redis.call('PEXPIRE', window, int(floordiv(slot_length * SLOTS * 2, 1000) + 1000))
            -- A new key at a full rule first makes room: the key seen longest ago is forgotten.
            if redis.call('ZSCORE', members, member) == false then
              local excess = redis.call('ZCARD', members) - max_keys + 1
              if excess > 0 then
                local popped = redis.call('ZPOPMIN', members, excess)
                for j = 1, #popped, 2 do
                  redis.call('DEL', window_prefix .. popped[j])
                  redis.call('HDEL', labels, popped[j])
                end
              end
            end
            redis.call('ZADD', members, slot, member)
            if label ~= '' then redis.call('HSETNX', labels, member, label) end
            redis.call('PEXPIRE', members, int(floordiv(slot_length * SLOTS * 2, 1000) + 1000))
            redis.call('PEXPIRE', labels, int(floordiv(slot_length * SLOTS * 2, 1000) + 1000))
            if is_over then
              table.insert(over, i - 1)
              if decides then
                deciding = i - 1
                break
              end
            end
          end
          replies[#replies + 1] = deciding
          replies[#replies + 1] = #over
          for _, index in ipairs(over) do replies[#replies + 1] = index end
          a, k = first_arg + 8 * n, first_key + 3 * n
        end
        return replies
        """)

    /// KEYS: the rule's key set and label hash. ARGV: now (or ''), slot length (µs), threshold, window hash prefix,
    /// how many keys to look at (the most recently seen in the window; older ones count nothing).
    /// Reply: per key at or above the threshold: member, label ('' for none), count, the slot it is released in.
    static let keys = RedisScript(common + """
        local now = clock(ARGV[1])
        local slot_length = tonumber(ARGV[2])
        local threshold = tonumber(ARGV[3])
        local first_live = floordiv(now, slot_length) - SLOTS
        local found = {}
        local recent = redis.call('ZRANGE', KEYS[1], '+inf', first_live, 'BYSCORE', 'REV', 'LIMIT', 0, tonumber(ARGV[5]))
        for _, member in ipairs(recent) do
          local fields = redis.call('HGETALL', ARGV[4] .. member)
          local slots, total = {}, 0
          for j = 1, #fields, 2 do
            local slot = tonumber(fields[j])
            if slot >= first_live then
              table.insert(slots, {slot, tonumber(fields[j + 1])})
              total = total + tonumber(fields[j + 1])
            end
          end
          if total >= threshold then
            table.sort(slots, function(x, y) return x[1] < y[1] end)
            local remaining = total
            for _, entry in ipairs(slots) do
              remaining = remaining - entry[2]
              if remaining < threshold then
                local label = redis.call('HGET', KEYS[2], member) or ''
                table.insert(found, {member, label, total, entry[1] + SLOTS + 1})
                break
              end
            end
          end
        end
        return found
        """)

    static var all: [RedisScript] { [record, keys] }
}
