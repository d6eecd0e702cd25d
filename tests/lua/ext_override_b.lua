return { which = function() return "second" end }
