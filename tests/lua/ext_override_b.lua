-- replaces `which` of ext_override_a.lua on purpose
return { which = function() return "second" end, _replaces = { "which" } }
