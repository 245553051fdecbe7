// Package cors parses, validates and answers S3 bucket CORS configurations.
// It is pure: no storage, no HTTP handlers; the S3 layer stores the
// document and calls it on the request path.
//
// # Basics
//
// Parse reads a PutBucketCors body (at most MaxConfigSize bytes) and checks
// it as S3 does: at most MaxRules CORSRule elements, each with at least one
// AllowedOrigin and AllowedMethod; methods only GET, PUT, POST, DELETE and
// HEAD (case-sensitive); at most one '*' in an AllowedOrigin or
// AllowedHeader; no '*' in an ExposeHeader. Every failure is an *Error
// carrying S3's code, status and message (MalformedXML, InvalidRequest,
// EntityTooLarge). Marshal renders the GetBucketCors document.
//
// Configuration.Preflight answers an OPTIONS request (a Request, read from
// the HTTP method and headers by NewRequest): the first rule whose origin
// pattern, method and AllowedHeader patterns cover the Origin,
// Access-Control-Request-Method and every Access-Control-Request-Headers
// name wins, and the returned headers echo the origin (or "*" for a rule
// allowing any origin, without Access-Control-Allow-Credentials), list the
// rule's methods, echo the requested headers (lower-cased, in the order
// requested), and carry the rule's ExposeHeader and MaxAgeSeconds plus Vary.
// The refusals come in the order S3 was observed to give them: no Origin is
// a 400; no configuration a 403 AccessForbidden "CORSResponse: CORS is not
// enabled for this bucket."; a requested method that is missing or not one
// of the five a 400 "Invalid Access-Control-Request-Method: null"; no rule
// a 403 "CORSResponse: This CORS request is not allowed...". The 403s carry
// S3's Method and ResourceType elements.
//
// Configuration.Actual gives the headers for the response of any other
// request, errors included. S3 matches Access-Control-Request-Method when
// the request carries one, else the request's own method, and does not
// check requested headers; an unmatched request is served without CORS
// headers (the browser withholds it from the page).
//
// # Caveats
//
// Wildcard matching is linear in the pattern and the input (anchored
// prefix and suffix, then a KMP scan per middle segment), even for patterns
// with many '*' that Validate would refuse, so a stored document can never
// make matching slow. Origins match case-sensitively, header names
// case-insensitively. Values are trimmed of surrounding white space.
//
// Where S3 is silent, the wording is ours: the 255-character rule ID limit
// message, and MalformedXML for more than MaxRules rules. A
// bucket with rules adds Vary to every response, matched or not, so that a
// cache never serves one origin's answer to another (S3 was seen to add it
// only with a match). Parse errors for a body over MaxConfigSize
// (EntityTooLarge), an ID over 255 characters, a negative MaxAgeSeconds or
// a lower-case method follow the nearest S3 answer; S3's own is not
// recorded.
package cors
