/* The account-name rule (account_name.h). */
#include <string.h>

#include "sasl-oauth2/account_name.h"

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (!first && c != '\0' && strchr("._@+-", c) != NULL);
}

int oa2_account_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > OA2_ACCOUNT_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!name_char(name[i], i == 0) || (i > 0 && name[i] == '.' && name[i - 1] == '.'))
			return 0;
	return 1;
}
