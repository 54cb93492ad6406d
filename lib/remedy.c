#include "sasl-oauth2/remedy.h"

const char *oa2_remedy_command(enum oa2_remedy r)
{
	switch (r) {
	case OA2_REMEDY_DOCTOR:
		return "sasl-oauth2 doctor";
	case OA2_REMEDY_KEYGEN:
		return "sasl-oauth2 keygen";
	case OA2_REMEDY_AUTHORIZE:
		break;
	}
	return "sasl-oauth2 authorize";
}
