package console

// Names the operator records (volumes and the servers they are attached
// to) are printed by the console and the admin CLI, and a volume name sits
// in a URL path segment: they are limited to characters that need no
// escaping anywhere.

// volumeNameRules explains volume naming.
const volumeNameRules = "invalid volume name: use 1-63 characters, only letters, digits, dots, hyphens and underscores, starting with a letter or digit"

// serverNameRules explains the attached server's name.
const serverNameRules = "invalid server name: use at most 253 characters, only letters, digits, dots, hyphens, underscores and colons (a host name or address)"

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
}

// validVolumeName reports whether name is 1-63 of [A-Za-z0-9._-], starting
// with a letter or digit.
func validVolumeName(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	if c := name[0]; c == '.' || c == '-' || c == '_' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return false
		}
	}
	return true
}

// validServerName reports whether name is empty or up to 253 of
// [A-Za-z0-9._:-] (a host name, IPv4 or IPv6 address).
func validServerName(name string) bool {
	if len(name) > 253 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) && name[i] != ':' {
			return false
		}
	}
	return true
}
