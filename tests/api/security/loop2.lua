-- Red-team F02: coroutines that spin (a coroutine made when the module
-- loads and resumed later; one made inside the call; one whose resume
-- swallows the error and loops again).
local co = coroutine.wrap(function() while true do coroutine.yield(1) ; while true do end end end)
co()
return { later = function() return co() end,
         spin_co = function() local c = coroutine.wrap(function() while true do end end); c() end,
         spin_pcall = function() while true do pcall(function() while true do end end) end end,
         co_catch = function()
           while true do local c = coroutine.create(function() while true do end end); coroutine.resume(c) end end,
         dag = function(n) local t = {1} for i = 1, math.tointeger(n) do t = {t, t} end return t end,
         qnan = function() return hedge.qty(0/0, "USD") end,
         inf = function() return 1/0 end,
       }
