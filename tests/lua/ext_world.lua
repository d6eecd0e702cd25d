-- ext_world.lua: the world queries of the hedge module (docs/language.md, "Extensions and foreign functions").
-- Used by world.hedge.
local M = {}

local function names(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = hedge.name(e) end
  return out
end

function M.deal_names(q) return names(hedge.deals(q)) end
function M.deals_of(imp, exp, com, year)
  return names(hedge.deals { importer = imp, exporter = exp, commodity = com, year = year })
end
function M.sum_of(imp, exp, com, year)
  local s, n = hedge.deal_sum { importer = imp, exporter = exp, commodity = com, year = year }
  return { s, n }
end
function M.sums_by(field, imp)
  local out = {}
  for i, g in ipairs(hedge.deal_sums_by(field, { importer = imp })) do
    local k = g[1]
    out[i] = { type(k) == "number" and k or hedge.name(k), g[2] }
  end
  return out
end
function M.loan_names(lender, borrower) return names(hedge.loans { lender = lender, borrower = borrower }) end
function M.debt_of(borrower, lender, year)
  local s, n = hedge.debt_sum { borrower = borrower, lender = lender, year = year }
  return { s, n }
end
function M.latest() return hedge.latest_year() end
function M.latest_is_integer() return math.type(hedge.latest_year()) == "integer" end
function M.partners_count() return #hedge.partners() end
function M.commodities_count() return #hedge.commodities() end

-- Bad filters are errors naming the problem.
function M.bad_filter_key() return hedge.deals { improter = 1 } end
function M.bad_filter_kind(c) return hedge.deals { importer = c } end
function M.bad_filter_year() return hedge.deal_sum { year = 2025.5 } end
function M.bad_group() return hedge.deal_sums_by("colour", {}) end

-- Quantities made in Lua.
function M.usd(x) return hedge.qty(x, "USD") end
function M.price(x) return hedge.qty(x, "USD/t") end
function M.ratio() return hedge.qty(3, "USD/USD") end   -- the unit cancels: a plain number

return M
