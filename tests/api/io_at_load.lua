-- tests/api/io_at_load.lua: reads a file while it loads (at `use` time),
-- so without HEDGE_CAP_IO the `use` itself fails.
local f = assert(io.open("tests/api/world.hedge", "r"))
local first = f:read("l")
f:close()
return { first_world_line = function() return first end }
