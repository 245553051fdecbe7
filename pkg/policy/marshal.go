package policy

import (
	"encoding/json"
	"errors"
)

// errNotExpressible is returned by MarshalJSON for a statement a policy
// document cannot hold (the AuthenticatedUsers principal of canned ACLs).
var errNotExpressible = errors.New("policy: statement not expressible as a policy document")

// MarshalJSON writes the policy in one canonical form: Statement always a
// list, Action/Resource always lists, principals as {"AWS": [...]} (tenants
// as TenantARN) or "*", condition values as lists of strings. Parsing what
// it writes gives the same policy.
func (p *Policy) MarshalJSON() ([]byte, error) {
	type doc struct {
		Version   string           `json:"Version"`
		ID        string           `json:"Id,omitempty"`
		Statement []map[string]any `json:"Statement"`
	}
	d := doc{Version: p.Version, ID: p.ID}
	for _, s := range p.Statements {
		m := map[string]any{"Effect": s.Effect}
		if s.Sid != "" {
			m["Sid"] = s.Sid
		}
		switch {
		case s.Principal.Authenticated:
			return nil, errNotExpressible
		case s.Principal.Any && len(s.Principal.Tenants) == 0:
			m["Principal"] = "*"
		default:
			var aws []string
			if s.Principal.Any {
				aws = append(aws, "*")
			}
			for _, t := range s.Principal.Tenants {
				aws = append(aws, TenantARN(t))
			}
			m["Principal"] = map[string][]string{"AWS": aws}
		}
		actionField, resourceField := "Action", "Resource"
		if s.NotAction {
			actionField = "NotAction"
		}
		if s.NotResource {
			resourceField = "NotResource"
		}
		m[actionField] = s.Actions
		m[resourceField] = s.Resources
		if len(s.Conditions) > 0 {
			block := map[string]map[string][]string{}
			for _, c := range s.Conditions {
				if block[c.Operator] == nil {
					block[c.Operator] = map[string][]string{}
				}
				block[c.Operator][c.Key] = c.Values
			}
			m["Condition"] = block
		}
		d.Statement = append(d.Statement, m)
	}
	return json.Marshal(d)
}
