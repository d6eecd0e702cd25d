-- defines `which` again without saying so
return { which = function() return "third" end }
