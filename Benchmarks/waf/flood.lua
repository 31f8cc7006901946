-- wrk script: every request claims a different client address through X-Forwarded-For (the gateway trusts
-- 127.0.0.1 as a proxy), so a rate rule keyed by ip sees a flood of distinct keys.
local counter = 0
local thread_offset = 0
function setup(thread)
  thread:set("thread_offset", math.random(0, 2^20))
end
function request()
  counter = counter + 1
  local n = counter * 2654435761 % 4294967296 + thread_offset
  local a = math.floor(n / 16777216) % 224 + 1
  local b = math.floor(n / 65536) % 256
  local c = math.floor(n / 256) % 256
  local d = n % 256
  return wrk.format("GET", "/bench", { ["X-Forwarded-For"] = a .. "." .. b .. "." .. c .. "." .. d })
end
