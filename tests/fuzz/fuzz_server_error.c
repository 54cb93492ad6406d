/* Fuzz target: a server's error challenge (bytes from the network). */
#include <stdint.h>
#include <string.h>

#include "sasl-oauth2/server_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oa2_server_error e;
	struct oa2_err err;
	char advice[768], raw[128];

	if (oa2_server_error_parse((const char *)data, size, &e, &err) == OA2_OK)
		oa2_server_error_advice(&e, advice, sizeof(advice));
	oa2_printable((const char *)data, size, raw, sizeof(raw));
	if (strlen(raw) >= sizeof(raw))
		__builtin_trap();
	return 0;
}
