// names.js: the naming rules the console checks before it asks the server.
// They are storage/names.go's rules, word for word in effect: the shared
// table testdata/names.json is checked against both (storage's
// TestNamesTable in Go, test/browser/names.test.mjs in Node).

// bucketNameProblem explains why name breaks the S3 bucket naming rules, or
// returns '' when it is valid.
export function bucketNameProblem(name) {
  if (name.length < 3) return 'Use at least 3 characters.';
  if (name.length > 63) return 'Use at most 63 characters.';
  if (/[A-Z]/.test(name)) return 'Use lower-case letters only.';
  if (/[^a-z0-9.-]/.test(name)) return 'Use only lower-case letters, digits, hyphens (-) and dots (.).';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'Start and end with a letter or a digit.';
  if (name.includes('..')) return 'Do not use two dots in a row.';
  if (name.includes('.-') || name.includes('-.')) return 'Do not put a hyphen next to a dot.';
  if (/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(name)) return 'Do not use the form of an IP address.';
  if (name.startsWith('xn--') || name.startsWith('sthree-')) return 'Do not start with "xn--" or "sthree-".';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3')) return 'Do not end with "-s3alias" or "--ol-s3".';
  return '';
}

// tenantNameProblem explains why name is not a valid tenant name (3-63
// lower-case letters, digits and hyphens, starting and ending with a letter
// or digit), or returns '' when it is valid.
export function tenantNameProblem(name) {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
    return 'Tenant names are 3–63 characters: lower-case letters, digits and hyphens, starting and ending with a letter or digit.';
  }
  return '';
}
