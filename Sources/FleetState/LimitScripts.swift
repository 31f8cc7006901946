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

        """

    /// Every script, for the pool to load on each new connection.
    static var all: [RedisScript] { [acquire, usage, addToQuota, heartbeat] }

    /// KEYS: the buckets, then the quota when there is one.
    /// ARGV: now (µs, or '' for the server's clock), bucket count, 1 when there is a quota, then rate and burst per
    /// bucket, then the quota's limit, period and offset.
    /// Reply: verdict (0 admitted, 1 throttled, 2 quota), retry after (µs), quota remaining (-1 without one), quota
    /// reset (µs), quota period length (µs), then remaining tokens and µs until full per bucket.
    static let acquire = RedisScript(common + """
        local now = clock(ARGV[1])
        local n = tonumber(ARGV[2])
        local units, stamps, rates, caps = {}, {}, {}, {}
        local throttled_for = -1
        for i = 1, n do
          local rate = tonumber(ARGV[2 + 2 * i])
          local cap = tonumber(ARGV[3 + 2 * i]) * UNIT
          local state = redis.call('HMGET', KEYS[i], 'u', 't')
          local u, t = tonumber(state[1]), tonumber(state[2])
          if u == nil or t == nil then u, t = cap, now end
          if u > cap then u = cap end
          if u < 0 then u = 0 end
          if now > t then
            -- Past the time to fill the bucket is full; below it the product stays under cap + rate.
            if (now - t) * rate >= cap - u then u = cap else u = u + (now - t) * rate end
            t = now
          end
          if u < UNIT then
            local wait = ceildiv(UNIT - u, rate)
            if wait > throttled_for then throttled_for = wait end
          end
          units[i], stamps[i], rates[i], caps[i] = u, t, rate, cap
        end
        local has_quota = ARGV[3] == '1'
        local quota_key = KEYS[n + 1]
        local limit, qstart, qend, used = 0, 0, 0, 0
        if has_quota then
          local base = 4 + 2 * n
          limit = tonumber(ARGV[base])
          qstart, qend = quota_window(now, ARGV[base + 1], tonumber(ARGV[base + 2]))
          local state = redis.call('HMGET', quota_key, 's', 'n')
          if tonumber(state[1]) == qstart then used = tonumber(state[2]) or 0 end
        end
        local verdict, retry = 0, 0
        if has_quota and used >= limit then
          verdict, retry = 2, qend - now
        elseif throttled_for >= 0 then
          verdict, retry = 1, throttled_for
        else
          for i = 1, n do units[i] = units[i] - UNIT end
          if has_quota then
            used = used + 1
            redis.call('HSET', quota_key, 's', int(qstart), 'n', int(used))
            redis.call('PEXPIRE', quota_key, int(floordiv(qend - now, 1000) + 3600000))
          end
        end
        local reply = {verdict, retry, -1, 0, 0}
        if has_quota then
          reply[3] = math.max(0, limit - used)
          reply[4] = qend - now
          reply[5] = qend - qstart
        end
        for i = 1, n do
          local to_full = ceildiv(caps[i] - units[i], rates[i])
          -- A bucket left alone until full is the same as no bucket: the key goes when it would be full.
          redis.call('HSET', KEYS[i], 'u', int(units[i]), 't', int(stamps[i]))
          redis.call('PEXPIRE', KEYS[i], int(floordiv(to_full, 1000) + 2000))
          reply[4 + 2 * i] = floordiv(units[i], UNIT)
          reply[5 + 2 * i] = to_full
        end
        return reply
        """)

    /// KEYS: the quota. ARGV: now (or ''), period, offset. Reply: used in the current period, its start and end (µs).
    static let usage = RedisScript(common + """
        local now = clock(ARGV[1])
        local qstart, qend = quota_window(now, ARGV[2], tonumber(ARGV[3]))
        local state = redis.call('HMGET', KEYS[1], 's', 'n')
        local used = 0
        if tonumber(state[1]) == qstart then used = tonumber(state[2]) or 0 end
        return {used, qstart, qend}
        """)

    /// After an outage: adds what an instance admitted on its own to the quota, if its period is still current.
    /// KEYS: the quota. ARGV: now (or ''), period, offset, the local period's start (µs), the count.
    static let addToQuota = RedisScript(common + """
        local now = clock(ARGV[1])
        local qstart, qend = quota_window(now, ARGV[2], tonumber(ARGV[3]))
        if tonumber(ARGV[4]) ~= qstart then return 0 end
        local state = redis.call('HMGET', KEYS[1], 's', 'n')
        local used = 0
        if tonumber(state[1]) == qstart then used = tonumber(state[2]) or 0 end
        used = used + tonumber(ARGV[5])
        redis.call('HSET', KEYS[1], 's', int(qstart), 'n', int(used))
        redis.call('PEXPIRE', KEYS[1], int(floordiv(qend - now, 1000) + 3600000))
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
