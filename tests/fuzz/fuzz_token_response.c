/* Fuzz target: a token endpoint's answer (bytes from the network), under
 * each status class the parser distinguishes. */
#include <stdint.h>
#include <string.h>

#include "sasl-oauth2/token_endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 429, 503 };
	struct oa2_token_response res;
	struct oa2_err err;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		int rc = oa2_token_endpoint_parse(statuses[i], (const char *)data, size,
						  "https://fuzz/token", "acct", &res, &err);
		if (rc == OA2_OK && (res.access_token == NULL || statuses[i] != 200))
			__builtin_trap();
		if (rc != OA2_OK && memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
			__builtin_trap();
		oa2_token_response_clear(&res);
	}
	return 0;
}
