-- Lua values that hedge numbers cannot be (red-team F05, F12f).
return { qnan = function() return hedge.qty(0/0, "USD") end,
         nan = function() return 0/0 end,
         inf = function() return 1/0 end,
         bad_utf8 = function() return "A\xff\xfeB" end,
         bad_load = function() return load() end }
