-- ext_entities.lua: entities seen from Lua (docs/language.md, "Extensions and foreign functions"). Used by entities.hedge.
local M = {}

-- Fields read by name: built-in fields and free attributes; nil when absent.
function M.field(e, name) return e[name] end
function M.ename(e) return hedge.name(e) end
function M.ekind(e) return hedge.kind(e) end
function M.text(e) return tostring(e) end

-- The n-th deal in declaration order, as hedge.deals() gives it.
function M.nth_deal(n) return hedge.deals()[n] end
function M.nth_loan(n) return hedge.loans()[n] end

-- The same entity is the same userdata: it works as a table key.
function M.same_partner(p)
  local all = hedge.partners()
  for i = 1, #all do
    if rawequal(all[i], p) then return true end
  end
  return false
end
function M.exporter_count()
  local seen, n = {}, 0
  for _, d in ipairs(hedge.deals()) do
    local e = d.exporter
    if not seen[e] then seen[e] = true; n = n + 1 end
  end
  return n
end
-- Sum of deal values per exporter, keyed by the entity, returned as records.
function M.value_by_exporter()
  local sums = {}
  for _, d in ipairs(hedge.deals()) do
    sums[d.exporter] = (sums[d.exporter] or 0) + d.value.value
  end
  local out = {}
  for p, v in pairs(sums) do out[hedge.name(p)] = v end
  return out
end
function M.eq(a, b) return a == b end

-- Entities are read-only.
function M.write(e) e.name = "x"; return true end

-- A table keyed by entities cannot cross back to hedge.
function M.by_exporter()
  local t = {}
  for _, d in ipairs(hedge.deals()) do t[d.exporter] = true end
  return t
end

-- Collections: partners, commodities, deals, loans as Lua arrays.
function M.count_of(coll) return #coll end
function M.partner_names()
  local out = {}
  for i, p in ipairs(hedge.partners()) do out[i] = hedge.name(p) end
  return out
end
function M.commodity_names()
  local out = {}
  for i, c in ipairs(hedge.commodities()) do out[i] = hedge.name(c) end
  return out
end

-- A date field seen from Lua.
function M.deal_year(d) return d.date.year end
function M.loan_end(l) return l.start.year + l.term.value end

return M
