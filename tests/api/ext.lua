-- tests/api/ext.lua: a Lua extension for test_api_limits.c and test_api_ffi.c.

-- spin(): never returns on its own (stopped by a limit or an interrupt).
local function spin()
  local x = 0
  while true do x = x + 1 end
end

-- spin_co(): the same inside a coroutine (a Lua thread of its own).
local function spin_co()
  local co = coroutine.wrap(function() local x = 0 while true do x = x + 1 end end)
  return co()
end

-- first_line(path): the first line of a file; needs io (HEDGE_CAP_IO).
local function first_line(path)
  local f, err = io.open(path, "r")
  if not f then hedge.error("cannot open " .. path .. ": " .. tostring(err)) end
  local line = f:read("l")
  f:close()
  return line
end

-- has_io(): whether the sandbox gave this extension the io library.
local function has_io() return io ~= nil end

-- grow(n): a Lua table of n strings (memory for the cap to stop).
local function grow(n)
  local t = {}
  for i = 1, n do t[i] = string.rep("x", 100) .. i end
  return #t
end

return { spin = spin, spin_co = spin_co, first_line = first_line, has_io = has_io, grow = grow }
