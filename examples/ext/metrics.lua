-- metrics.lua: concentration measures that the standard library does not have,
-- as a hedge extension (docs/language.md, Extensions). Load it with `use "metrics.lua"`.
--
-- Every function in the returned table becomes a hedge function of the same name.
-- Quantities arrive as userdata with .value (in the base unit) and .unit; lists as
-- Lua arrays; named arguments as one last table (absent when the call has none).

-- A quantity or a plain number as a plain number (money in USD, mass in t, ...).
local function num(x)
  if type(x) == "number" then return x end
  return x.value
end

-- The values of a list as plain numbers, and their total.
local function numbers(xs, who)
  local v, total = {}, 0
  for i, x in ipairs(xs) do
    v[i] = num(x)
    total = total + v[i]
  end
  if total == 0 then hedge.error(who .. ": the values sum to zero") end
  return v, total
end

-- cr(xs, k): the k-firm concentration ratio, the share of the k largest values.
local function cr(xs, k)
  local v, total = numbers(xs, "cr")
  table.sort(v, function(a, b) return a > b end)
  local top = 0
  for i = 1, math.min(k, #v) do top = top + v[i] end
  return top / total
end

-- effective_n(xs): 1 / (sum of squared shares), the number of equal suppliers
-- that would give the same HHI (10000 / HHI).
local function effective_n(xs)
  local v, total = numbers(xs, "effective_n")
  local ss = 0
  for _, x in ipairs(v) do
    local s = x / total
    ss = ss + s * s
  end
  return 1 / ss
end

-- suppliers(a, commodity: c, year: y): how many partners sell to a, through the
-- world's indexed query. A deal of value 0 does not make a supplier.
local function suppliers(a, opts)
  opts = opts or {}
  local y = opts.year                   -- hedge numbers are Lua floats; the query wants an integer
  if y ~= nil then y = math.tointeger(y) or hedge.error("suppliers: year must be a whole number") end
  local seen, n = {}, 0
  for _, d in ipairs(hedge.deals{importer = a, commodity = opts.commodity, year = y}) do
    local e = hedge.name(d.exporter)
    if not seen[e] and num(d.value) > 0 then
      seen[e] = true
      n = n + 1
    end
  end
  return n
end

-- reliance(a, b, commodity: c): the share of a's imports that come from b,
-- written with the standard library's own functions.
local function reliance(a, b, opts)
  local c = opts and opts.commodity
  local total = hedge.imports(a, {commodity = c})
  if num(total) == 0 then hedge.error("reliance: " .. hedge.name(a) .. " imports nothing") end
  return num(hedge.imports(a, {from = b, commodity = c})) / num(total)
end

return { cr = cr, effective_n = effective_n, suppliers = suppliers, reliance = reliance }
