import Redis

/// The Lua scripts behind `RedisLimitStore`. Each decision is one script, so it is atomic on the server; times are
/// the server's clock (`TIME`) unless a caller passes one (tests), so instance clocks cannot skew a limit.
///
/// Lua numbers are doubles: everything is kept an integer below 2^53. Times are microseconds (1.8e15 today); a
/// bucket holds nanotokens and gains `rate` of them per microsecond (`rate` in thousandths of a request per
/// second), so a bucket of the largest burst (1e6) holds at most 1e15. The arithmetic is the memory store's
/// (`TokenBucket`, `Quota.window`) at that scale, and the same conformance suite checks both.
enum LimitScripts {
    static let common = """
        local UNIT = 1000000000
        local HOUR = 3600000000
        local DAY = 86400000000

        -- Exact floor division for integers held in doubles.
        local function floordiv(a, b)
          local q = math.floor(a / b)
          if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
          return q
        end

        local function ceildiv(a, b) return -floordiv(-a, b) end

        local function clock(arg)
          if arg == '' then
            local t = redis.call('TIME')
            return tonumber(t[1]) * 1000000 + tonumber(t[2])
          end
          return tonumber(arg)
        end

        local function days_from_civil(y, m, d)
          if m <= 2 then y = y - 1 end
          local era = floordiv(y, 400)
          local yoe = y - era * 400
          local mp = m + 9
          if m > 2 then mp = m - 3 end
          local doy = floordiv(153 * mp + 2, 5) + d - 1
          local doe = yoe * 365 + floordiv(yoe, 4) - floordiv(yoe, 100) + doy
          return era * 146097 + doe - 719468
        end

        local function civil_from_days(z)
          z = z + 719468
          local era = floordiv(z, 146097)
          local doe = z - era * 146097
          local yoe = floordiv(doe - floordiv(doe, 1460) + floordiv(doe, 36524) - floordiv(doe, 146096), 365)
          local doy = doe - (365 * yoe + floordiv(yoe, 4) - floordiv(yoe, 100))
          local mp = floordiv(5 * doy + 2, 153)
          local m = mp - 9
          if mp < 10 then m = mp + 3 end
          local y = yoe + era * 400
          if m <= 2 then y = y + 1 end
          return y, m
        end

        -- The quota period holding `now` (Quota.window): UTC days, weeks from Monday, calendar months.
        local function quota_window(now, period, offset)
          if period == 'DAY' then
            local shift = offset * HOUR
            local start = floordiv(now - shift, DAY) * DAY + shift
            return start, start + DAY
          elseif period == 'WEEK' then
            local shift = (4 + offset) * DAY
            local start = floordiv(now - shift, 7 * DAY) * 7 * DAY + shift
            return start, start + 7 * DAY
          end
          local shift = offset * DAY
          local y, m = civil_from_days(floordiv(now - shift, DAY))
          local ny, nm = y, m + 1
          if m == 12 then ny, nm = y + 1, 1 end
          local start = days_from_civil(y, m, 1) * DAY + shift
          return start, days_from_civil(ny, nm, 1) * DAY + shift
        end

        local function int(x) return string.format('%d', x) end

        -- A counter is one string key "a:b" (GET, then SET with PX: two calls where a hash needed three).
        local function read_pair(key)
          local value = redis.call('GET', key)
          if not value then return nil, nil end
          local colon = string.find(value, ':', 1, true)
          if not colon then return nil, nil end
          return tonumber(string.sub(value, 1, colon - 1)), tonumber(string.sub(value, colon + 1))
        end

        local function write_pair(key, a, b, milliseconds)
          redis.call('SET', key, string.format('%d:%d', a, b), 'PX', int(milliseconds))
        end

        """

    /// Every script, for the pool to load on each new connection.
    static var all: [RedisScript] { [acquire, usage, addToQuota, heartbeat] }

    /// Several requests' decisions in one call (the requests one event loop decided together). Requests that ask
    /// the same of the same limits at the same time come as one group of `count`: the first `admitted` of them
    /// pass, one after the other, so the script's work grows with the groups, not the requests. Each group sees
    /// the counters as the groups before it left them.
    /// KEYS: per group, its buckets, then its quota when it has one.
    /// ARGV: the group count, then per group: now (µs, or '' for the server's clock), its request count, bucket
    /// count, 1 when there is a quota, rate and burst per bucket, then the quota's limit, period and offset.
    /// Reply, one flat list (one array to parse), per group in turn: admitted count; for the requests refused
    /// after them, verdict (1 throttled, 2 quota) and retry after (µs); quota used before the group (-1 without
    /// one), quota reset (µs), quota period length (µs); then each bucket's nanotokens before the group.
    static let acquire = RedisScript(common + """
        local server_now = nil
        local function now_of(arg)
          if arg ~= '' then return tonumber(arg) end
          if server_now == nil then server_now = clock('') end
          return server_now
        end
        -- Each counter is read once per call and written once at its end: a call's groups mostly share buckets.
        local buckets, quotas = {}, {}
        local function bucket(key, rate, cap, now)
          local b = buckets[key]
          if b == nil then
            local u, t = read_pair(key)
            if u == nil or t == nil then u, t = cap, now end
            b = {u = u, t = t}
            buckets[key] = b
          end
          b.rate, b.cap = rate, cap
          if b.u > cap then b.u = cap end
          if b.u < 0 then b.u = 0 end
          if now > b.t then
            -- Past the time to fill the bucket is full; below it the product stays under cap + rate.
            if (now - b.t) * rate >= cap - b.u then b.u = cap else b.u = b.u + (now - b.t) * rate end
            b.t = now
          end
          return b
        end
        local replies, held = {}, {}
        local a, k = 2, 1
        for g = 1, tonumber(ARGV[1]) do
          local now = now_of(ARGV[a])
          local count = tonumber(ARGV[a + 1])
          local n = tonumber(ARGV[a + 2])
          local has_quota = ARGV[a + 3] == '1'
          a = a + 4
          local admitted = count
          local base = #replies
          for i = 1, n do
            local b = bucket(KEYS[k], tonumber(ARGV[a]), tonumber(ARGV[a + 1]) * UNIT, now)
            a, k = a + 2, k + 1
            local whole = floordiv(b.u, UNIT)
            if whole < admitted then admitted = whole end
            held[i] = b
            replies[base + 6 + i] = b.u
          end
          local q, limit, qstart, qend = nil, 0, 0, 0
          if has_quota then
            limit = tonumber(ARGV[a])
            qstart, qend = quota_window(now, ARGV[a + 1], tonumber(ARGV[a + 2]))
            a = a + 3
            q = quotas[KEYS[k]]
            if q == nil then
              local start, used = read_pair(KEYS[k])
              q = {start = start, used = used or 0, dirty = false}
              quotas[KEYS[k]] = q
            end
            if q.start ~= qstart then q.start, q.used = qstart, 0 end
            q.finish, q.now = qend, now
            k = k + 1
            if limit - q.used < admitted then admitted = math.max(0, limit - q.used) end
            replies[base + 4], replies[base + 5], replies[base + 6] = q.used, qend - now, qend - qstart
          else
            replies[base + 4], replies[base + 5], replies[base + 6] = -1, 0, 0
          end
          for i = 1, n do held[i].u = held[i].u - admitted * UNIT end
          if has_quota and admitted > 0 then q.used, q.dirty = q.used + admitted, true end
          -- The state every request past the admitted ones meets: the quota spent, or an empty bucket.
          local verdict, retry = 0, 0
          if admitted < count then
            if has_quota and q.used >= limit then
              verdict, retry = 2, qend - now
            else
              verdict = 1
              for i = 1, n do
                local b = held[i]
                if b.u < UNIT then retry = math.max(retry, ceildiv(UNIT - b.u, b.rate)) end
              end
            end
          end
          replies[base + 1], replies[base + 2], replies[base + 3] = admitted, verdict, retry
        end
        -- A bucket left alone until full is the same as no bucket: its key goes when it would be full.
        for key, b in pairs(buckets) do
          write_pair(key, b.u, b.t, floordiv(ceildiv(b.cap - b.u, b.rate), 1000) + 2000)
        end
        for key, q in pairs(quotas) do
          if q.dirty then write_pair(key, q.start, q.used, floordiv(q.finish - q.now, 1000) + 3600000) end
        end
        return replies
        """)

    /// KEYS: the quota. ARGV: now (or ''), period, offset. Reply: used in the current period, its start and end (µs).
    static let usage = RedisScript(common + """
        local now = clock(ARGV[1])
        local qstart, qend = quota_window(now, ARGV[2], tonumber(ARGV[3]))
        local s, count = read_pair(KEYS[1])
        local used = 0
        if s == qstart then used = count or 0 end
        return {used, qstart, qend}
        """)

    /// After an outage: adds what an instance admitted on its own to the quota, if its period is still current.
    /// KEYS: the quota. ARGV: now (or ''), period, offset, the local period's start (µs), the count.
    static let addToQuota = RedisScript(common + """
        local now = clock(ARGV[1])
        local qstart, qend = quota_window(now, ARGV[2], tonumber(ARGV[3]))
        if tonumber(ARGV[4]) ~= qstart then return 0 end
        local s, count = read_pair(KEYS[1])
        local used = 0
        if s == qstart then used = count or 0 end
        used = used + tonumber(ARGV[5])
        write_pair(KEYS[1], qstart, used, floordiv(qend - now, 1000) + 3600000)
        return used
        """)

    /// The fleet's heartbeat: this instance is live for `ttl` more µs; the reply is how many instances are.
    /// KEYS: the member set. ARGV: instance id, ttl (µs).
    static let heartbeat = RedisScript(common + """
        local now = clock('')
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        redis.call('PEXPIRE', KEYS[1], int(floordiv(tonumber(ARGV[2]), 1000) * 10))
        return redis.call('ZCARD', KEYS[1])
        """)
}
