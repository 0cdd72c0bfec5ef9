/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IPA's ES10b calls for its eIM (esim-es10-iot.h): LoadEuiccPackage,
 * ProfileRollback, ImmediateEnable, ConfigureImmediateProfileEnabling.
 *
 * Tags are the SGP.32 v1.2 module's (AUTOMATIC TAGS), as the digest §2.2,
 * §3.4 and §3.5 checked them with asn1c; the EuiccPackageResult layout is
 * the one two real cards sent (vectors.md V5, V7: BF51 { A0 { 30 …, 5F37 } }),
 * and the form one implementation sends without the A0 (V19) is refused.
 * Nothing signed is re-encoded: the package goes out as the eIM signed it
 * and the result is kept as the card signed it.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-es10-iot.h"
#include "esim-util.h"

#define SIGNATURE_LENGTH ESIM_SIGNATURE_LENGTH

/* ---- result names ---- */

typedef struct {
	gint64	      code;
	const gchar  *name;
	EsimEs10Error error;
} IotResultName;

#define NAME_UNDEFINED { 127, "undefinedError", ESIM_ES10_ERROR_UNDEFINED }
#define NAME_END       { 0, NULL, ESIM_ES10_ERROR_UNDEFINED }

static const IotResultName package_errors[] = {
	{ ESIM_EPR_ERROR_INVALID_EID, "invalidEid", ESIM_ES10_ERROR_INVALID },
	{ ESIM_EPR_ERROR_REPLAY, "replayError", ESIM_ES10_ERROR_INVALID },
	{ ESIM_EPR_ERROR_COUNTER_OUT_OF_RANGE, "counterValueOutOfRange", ESIM_ES10_ERROR_INVALID },
	{ ESIM_EPR_ERROR_SIZE_OVERFLOW, "sizeOverflow", ESIM_ES10_ERROR_NO_MEMORY },
	{ ESIM_EPR_ERROR_ECALL_ACTIVE, "ecallActive", ESIM_ES10_ERROR_ECALL_ACTIVE },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName enable_results[] = {
	{ 0, "ok", 0 },
	{ 1, "iccidOrAidNotFound", 0 },
	{ 2, "profileNotInDisabledState", 0 },
	{ 3, "disallowedByPolicy", 0 },
	{ 5, "catBusy", 0 },
	{ 20, "rollbackNotAvailable", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName disable_results[] = {
	{ 0, "ok", 0 },
	{ 1, "iccidOrAidNotFound", 0 },
	{ 2, "profileNotInEnabledState", 0 },
	{ 3, "disallowedByPolicy", 0 },
	{ 5, "catBusy", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName delete_results[] = {
	{ 0, "ok", 0 },
	{ 1, "iccidOrAidNotFound", 0 },
	{ 2, "profileNotInDisabledState", 0 },
	{ 3, "disallowedByPolicy", 0 },
	{ 20, "rollbackNotAvailable", 0 },
	{ 21, "returnFallbackProfile", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName list_profile_info_results[] = {
	{ 0, "ok", 0 },
	{ 1, "incorrectInputValues", 0 },
	{ 11, "profileChangeOngoing", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName configure_immediate_results[] = {
	{ 0, "ok", 0 },
	{ 1, "insufficientMemory", 0 },
	{ 7, "commandError", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName add_eim_results[] = {
	{ 0, "ok", 0 },
	{ 1, "insufficientMemory", 0 },
	{ 2, "associatedEimAlreadyExists", 0 },
	{ 3, "ciPKUnknown", 0 },
	{ 5, "invalidAssociationToken", 0 },
	{ 6, "counterValueOutOfRange", 0 },
	{ 7, "commandError", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName delete_eim_results[] = {
	{ 0, "ok", 0 },
	{ 1, "eimNotFound", 0 },
	{ 2, "lastEimDeleted", 0 },
	{ 7, "commandError", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName update_eim_results[] = {
	{ 0, "ok", 0 },
	{ 1, "eimNotFound", 0 },
	{ 3, "ciPKUnknown", 0 },
	{ 6, "counterValueOutOfRange", 0 },
	{ 7, "commandError", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName ok_or_undefined_results[] = {
	{ 0, "ok", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName set_fallback_results[] = {
	{ 0, "ok", 0 },
	{ 1, "iccidOrAidNotFound", 0 },
	{ 2, "fallbackNotAllowed", 0 },
	{ 3, "fallbackProfileEnabled", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName unset_fallback_results[] = {
	{ 0, "ok", 0 },
	{ 2, "noFallbackAttribute", 0 },
	{ 3, "fallbackProfileEnabled", 0 },
	{ 7, "commandError", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName processing_terminated_results[] = {
	{ 1, "resultSizeOverflow", 0 },
	{ 2, "unknownOrDamagedCommand", 0 },
	{ 3, "interruption", 0 },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName rollback_results[] = {
	{ ESIM_ROLLBACK_NOT_ALLOWED, "rollbackNotAllowed", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	{ 5, "catBusy", ESIM_ES10_ERROR_CAT_BUSY },
	{ 7, "commandError", ESIM_ES10_ERROR_INVALID },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName immediate_enable_results[] = {
	{ ESIM_IMMEDIATE_ENABLE_NOT_AVAILABLE, "immediateEnableNotAvailable", ESIM_ES10_ERROR_WRONG_STATE },
	{ ESIM_IMMEDIATE_ENABLE_NO_SESSION, "noSessionContext", ESIM_ES10_ERROR_NO_SESSION },
	{ 5, "catBusy", ESIM_ES10_ERROR_CAT_BUSY },
	NAME_UNDEFINED,
	NAME_END,
};

static const IotResultName configure_immediate_enable_results[] = {
	{ 1, "insufficientMemory", ESIM_ES10_ERROR_NO_MEMORY },
	{ ESIM_CONFIGURE_IMMEDIATE_EIM_EXISTS, "associatedEimAlreadyExists", ESIM_ES10_ERROR_ALREADY_EXISTS },
	NAME_UNDEFINED,
	NAME_END,
};

/* What each EuiccResultData alternative is called and how its codes read */
static const struct {
	EsimTag		     tag;
	const gchar	    *name;
	const IotResultName *codes;
} result_kinds[] = {
	{ ESIM_TAG_RESULT_ENABLE, "enable", enable_results },
	{ ESIM_TAG_RESULT_DISABLE, "disable", disable_results },
	{ ESIM_TAG_RESULT_DELETE, "delete", delete_results },
	{ ESIM_TAG_RESULT_LIST_PROFILE_INFO, "listProfileInfo", list_profile_info_results },
	{ ESIM_TAG_RESULT_GET_RAT, "getRAT", ok_or_undefined_results },
	{ ESIM_TAG_RESULT_CONFIGURE_IMMEDIATE_ENABLE, "configureImmediateEnable",
	  configure_immediate_results },
	{ ESIM_TAG_RESULT_ADD_EIM, "addEim", add_eim_results },
	{ ESIM_TAG_RESULT_DELETE_EIM, "deleteEim", delete_eim_results },
	{ ESIM_TAG_RESULT_UPDATE_EIM, "updateEim", update_eim_results },
	{ ESIM_TAG_RESULT_LIST_EIM, "listEim", ok_or_undefined_results },
	{ ESIM_TAG_RESULT_ROLLBACK, "rollback", ok_or_undefined_results },
	{ ESIM_TAG_RESULT_SET_FALLBACK, "setFallbackAttribute", set_fallback_results },
	{ ESIM_TAG_RESULT_UNSET_FALLBACK, "unsetFallbackAttribute", unset_fallback_results },
	{ ESIM_TAG_RESULT_PROCESSING_TERMINATED, "processingTerminated",
	  processing_terminated_results },
	{ ESIM_TAG_RESULT_SET_DEFAULT_DP, "setDefaultDpAddress", ok_or_undefined_results },
};

static const IotResultName *
find_name (const IotResultName *names, gint64 code)
{
	for (guint i = 0; names[i].name != NULL; i++) {
		if (names[i].code == code)
			return &names[i];
	}
	return NULL;
}

static const IotResultName *
result_codes (EsimTag tag)
{
	for (guint i = 0; i < G_N_ELEMENTS (result_kinds); i++) {
		if (result_kinds[i].tag == tag)
			return result_kinds[i].codes;
	}
	return NULL;
}

const gchar *
esim_euicc_package_error_to_string (gint code)
{
	const IotResultName *name = find_name (package_errors, code);
	return name != NULL ? name->name : "unknown";
}

const gchar *
esim_euicc_result_name (EsimTag tag)
{
	for (guint i = 0; i < G_N_ELEMENTS (result_kinds); i++) {
		if (result_kinds[i].tag == tag)
			return result_kinds[i].name;
	}
	return "unknown";
}

const gchar *
esim_euicc_result_code_to_string (const EsimEuiccResult *result)
{
	const IotResultName *codes;
	const IotResultName *name;

	g_return_val_if_fail (result != NULL, "unknown");
	codes = result_codes (result->tag);
	name = codes != NULL ? find_name (codes, result->code) : NULL;
	return name != NULL ? name->name : "unknown";
}

gboolean
esim_euicc_result_is_ok (const EsimEuiccResult *result)
{
	g_return_val_if_fail (result != NULL, FALSE);
	if (result->tag == ESIM_TAG_RESULT_PROCESSING_TERMINATED)
		return FALSE;
	/* lastEimDeleted: the eIM is gone as asked, and with it the card's last one */
	if (result->tag == ESIM_TAG_RESULT_DELETE_EIM && result->code == ESIM_ECO_LAST_EIM_DELETED)
		return TRUE;
	return result->code == ESIM_PSMO_OK;
}

void
esim_euicc_package_result_free (EsimEuiccPackageResult *result)
{
	if (result == NULL)
		return;
	g_free (result->eim_id);
	g_free (result->eim_transaction_id);
	g_clear_pointer (&result->results, g_array_unref);
	g_clear_pointer (&result->raw, g_bytes_unref);
	g_free (result);
}

void
esim_profile_rollback_ok_free (EsimProfileRollbackOk *ok)
{
	if (ok == NULL)
		return;
	esim_euicc_package_result_free (ok->package_result);
	g_free (ok);
}

gchar *
esim_euicc_package_result_describe (const EsimEuiccPackageResult *result)
{
	GString *str = g_string_new (NULL);

	g_return_val_if_fail (result != NULL, NULL);
	switch (result->kind) {
	case ESIM_EUICC_PACKAGE_RESULT_SIGNED:
		g_string_append_printf (str, "signed result seq %" G_GINT64_FORMAT " for eIM %s, "
					"counter %" G_GINT64_FORMAT ":", result->seq_number,
					result->eim_id, result->counter_value);
		for (guint i = 0; i < result->results->len; i++) {
			const EsimEuiccResult *r = &g_array_index (result->results, EsimEuiccResult, i);
			g_string_append_printf (str, "%s %s %s", i > 0 ? "," : "",
						esim_euicc_result_name (r->tag),
						esim_euicc_result_code_to_string (r));
		}
		if (result->results->len == 0)
			g_string_append (str, " no results");
		break;
	case ESIM_EUICC_PACKAGE_ERROR_SIGNED:
		g_string_append_printf (str, "signed error for eIM %s, counter %" G_GINT64_FORMAT ": "
					"%s (%d)", result->eim_id, result->counter_value,
					esim_euicc_package_error_to_string (result->error_code),
					result->error_code);
		break;
	case ESIM_EUICC_PACKAGE_ERROR_UNSIGNED:
	default:
		if (result->error_code >= 0)
			g_string_append_printf (str, "unsigned error for eIM %s: %s (%d)",
						result->eim_id,
						esim_euicc_package_error_to_string (result->error_code),
						result->error_code);
		else
			g_string_append_printf (str, "unsigned error for eIM %s without a code",
						result->eim_id);
		break;
	}
	return g_string_free (str, FALSE);
}

/* ---- parsing helpers ---- */

static gboolean
malformed (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
malformed (GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;

	va_start (args, format);
	msg = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE, msg);
	return FALSE;
}

/* The children of a constructed element, at most @max, in order. */
typedef struct {
	EsimTlv items[8];
	guint	n;
	guint	pos;
} Children;

static gboolean
children_load (Children *c, const EsimTlv *parent, const gchar *what, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	c->n = c->pos = 0;
	if (!parent->constructed)
		return malformed (error, "%s (%X) is not constructed", what, parent->tag);
	esim_tlv_iter_init (&iter, parent);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (c->n == G_N_ELEMENTS (c->items))
			return malformed (error, "%s has too many elements", what);
		c->items[c->n++] = child;
	}
	if (error_local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&error_local), "%s: ", what);
		return FALSE;
	}
	return TRUE;
}

/* The next child if it has @tag (optional elements). */
static gboolean
children_take (Children *c, EsimTag tag, EsimTlv *out)
{
	if (c->pos < c->n && c->items[c->pos].tag == tag) {
		*out = c->items[c->pos++];
		return TRUE;
	}
	return FALSE;
}

static gboolean
children_require (Children *c, EsimTag tag, const gchar *what, EsimTlv *out, GError **error)
{
	if (children_take (c, tag, out))
		return TRUE;
	if (c->pos < c->n)
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
			     "%s (%X) expected, got %X", what, tag, c->items[c->pos].tag);
	else
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "%s (%X) missing", what,
			     tag);
	return FALSE;
}

static gboolean
children_end (Children *c, const gchar *what, GError **error)
{
	if (c->pos == c->n)
		return TRUE;
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
		     "unexpected %X in %s", c->items[c->pos].tag, what);
	return FALSE;
}

/* The response must be exactly one TLV with @tag. */
static gboolean
parse_response (GBytes *response, EsimTag tag, EsimTlv *out, GError **error)
{
	const guint8 *data = NULL;
	gsize len = 0;

	if (response != NULL)
		data = g_bytes_get_data (response, &len);
	if (len == 0) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
			     "empty response, expected %X", tag);
		return FALSE;
	}
	return esim_tlv_parse_tagged (data, len, tag, out, error);
}

static gboolean
get_eim_id (const EsimTlv *tlv, gchar **out, GError **error)
{
	if (tlv->len < 1 || tlv->len > ESIM_EIM_ID_MAX_LENGTH)
		return malformed (error, "eimId must be 1 to %d bytes", ESIM_EIM_ID_MAX_LENGTH);
	*out = esim_tlv_dup_utf8 (tlv, error);
	return *out != NULL;
}

static gboolean
get_transaction_id (const EsimTlv *tlv, gchar **out, GError **error)
{
	if (tlv->constructed || tlv->len < 1 || tlv->len > ESIM_TRANSACTION_ID_MAX_LENGTH)
		return malformed (error, "eimTransactionId must be 1 to %d bytes",
				  ESIM_TRANSACTION_ID_MAX_LENGTH);
	*out = esim_hex_encode (tlv->value, tlv->len);
	return TRUE;
}

static gboolean
get_signature (const EsimTlv *tlv, GError **error)
{
	if (tlv->constructed || tlv->len != SIGNATURE_LENGTH)
		return malformed (error, "signature (5F37) must be %d bytes, got %" G_GSIZE_FORMAT,
				  SIGNATURE_LENGTH, tlv->len);
	return TRUE;
}

/* The single code or data element of a CHOICE result: @data_tag means data (code 0),
 * @code_tag an INTEGER code. */
static gboolean
read_choice_result (const EsimTlv *tlv, EsimTag data_tag, EsimTag code_tag, EsimEuiccResult *out,
		    GError **error)
{
	EsimTlv choice;

	if (!tlv->constructed || !esim_tlv_parse_exact (tlv->value, tlv->len, &choice, NULL))
		return malformed (error, "%s result (%X) holds no single alternative",
				  esim_euicc_result_name (tlv->tag), tlv->tag);
	if (choice.tag == data_tag) {
		out->code = 0;
		return TRUE;
	}
	if (choice.tag == code_tag)
		return esim_tlv_get_int (&choice, &out->code, error);
	if (tlv->tag == ESIM_TAG_RESULT_ADD_EIM && choice.tag == ESIM_TAG_ADD_EIM_TOKEN) {
		out->has_association_token = TRUE;
		out->code = 0;
		return esim_tlv_get_int (&choice, &out->association_token, error);
	}
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
		     "unexpected %X in %s result", choice.tag, esim_euicc_result_name (tlv->tag));
	return FALSE;
}

/* One EuiccResultData.  An alternative this version does not know is kept
 * with code -1: the result is the card's to forward, not ours to refuse. */
static gboolean
read_result (const EsimTlv *tlv, EsimEuiccResult *out, GError **error)
{
	EsimTlv code;

	memset (out, 0, sizeof (*out));
	out->tag = tlv->tag;
	switch (tlv->tag) {
	case ESIM_TAG_RESULT_ENABLE:
	case ESIM_TAG_RESULT_DISABLE:
	case ESIM_TAG_RESULT_DELETE:
	case ESIM_TAG_RESULT_CONFIGURE_IMMEDIATE_ENABLE:
	case ESIM_TAG_RESULT_DELETE_EIM:
	case ESIM_TAG_RESULT_UPDATE_EIM:
	case ESIM_TAG_RESULT_ROLLBACK:
	case ESIM_TAG_RESULT_SET_FALLBACK:
	case ESIM_TAG_RESULT_UNSET_FALLBACK:
	case ESIM_TAG_RESULT_PROCESSING_TERMINATED:
		return esim_tlv_get_int (tlv, &out->code, error);
	case ESIM_TAG_RESULT_LIST_PROFILE_INFO:
		/* ProfileInfoListResponse: A0 profileInfoListOk or 81 profileInfoListError */
		return read_choice_result (tlv, ESIM_TAG_LIST_OK, ESIM_TAG_LIST_ERROR, out, error);
	case ESIM_TAG_RESULT_LIST_EIM:
		return read_choice_result (tlv, ESIM_TAG_LIST_EIM_IDS, ESIM_TAG_LIST_EIM_ERROR, out,
					   error);
	case ESIM_TAG_RESULT_ADD_EIM:
		/* explicit CHOICE: A8 { 84 associationToken } or A8 { 02 code } */
		return read_choice_result (tlv, 0, ESIM_TAG_ADD_EIM_CODE, out, error);
	case ESIM_TAG_RESULT_GET_RAT:
		if (!tlv->constructed)
			return malformed (error, "getRAT result is not constructed");
		out->code = 0;
		return TRUE;
	case ESIM_TAG_RESULT_SET_DEFAULT_DP:
		if (!tlv->constructed || !esim_tlv_parse_exact (tlv->value, tlv->len, &code, NULL) ||
		    code.tag != ESIM_TAG_RESULT)
			return malformed (error, "setDefaultDpAddress result is not { 80 code }");
		return esim_tlv_get_int (&code, &out->code, error);
	default:
		out->code = -1;
		return TRUE;
	}
}

static gboolean
read_results (const EsimTlv *list, EsimEuiccPackageResult *result, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	if (!list->constructed)
		return malformed (error, "euiccResult is not a SEQUENCE OF");
	esim_tlv_iter_init (&iter, list);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		EsimEuiccResult item;

		if (result->results->len == ESIM_ESIPA_MAX_LIST_ITEMS)
			return malformed (error, "more than %d results", ESIM_ESIPA_MAX_LIST_ITEMS);
		if (!read_result (&child, &item, error)) {
			g_prefix_error (error, "result %u: ", result->results->len + 1);
			return FALSE;
		}
		if (item.tag == ESIM_TAG_RESULT_ENABLE && item.code == ESIM_PSMO_OK)
			result->enable_succeeded = TRUE;
		g_array_append_val (result->results, item);
	}
	if (error_local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&error_local), "euiccResult: ");
		return FALSE;
	}
	return TRUE;
}

/* euiccPackageResultSigned: 30 { 80 eimId, 81 counterValue, 82 eimTransactionId OPT,
 * 83 seqNumber, 30 euiccResult }, 5F37; euiccPackageErrorSigned: 30 { 80, 81, 82 OPT,
 * 02 code }, 5F37 */
static gboolean
read_signed (const EsimTlv *arm, EsimEuiccPackageResult *result, GError **error)
{
	gboolean is_result = arm->tag == ESIM_TAG_EPR_SIGNED;
	const gchar *what = is_result ? "euiccPackageResultDataSigned" : "euiccPackageErrorDataSigned";
	Children top, data;
	EsimTlv signed_data, tlv;
	gint64 value = 0;

	if (!children_load (&top, arm, is_result ? "euiccPackageResultSigned" :
				     "euiccPackageErrorSigned", error) ||
	    !children_require (&top, ESIM_TAG_SEQUENCE, what, &signed_data, error) ||
	    !children_require (&top, ESIM_TAG_SIGNATURE, "euiccSign", &tlv, error) ||
	    !children_end (&top, "the signed alternative", error) ||
	    !get_signature (&tlv, error) ||
	    !children_load (&data, &signed_data, what, error))
		return FALSE;
	if (!children_require (&data, ESIM_TAG_EUICC_PACKAGE_EIM_ID, "eimId", &tlv, error) ||
	    !get_eim_id (&tlv, &result->eim_id, error) ||
	    !children_require (&data, ESIM_TAG_EUICC_PACKAGE_COUNTER, "counterValue", &tlv, error) ||
	    !esim_tlv_get_int (&tlv, &result->counter_value, error))
		return FALSE;
	if (children_take (&data, ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID, &tlv) &&
	    !get_transaction_id (&tlv, &result->eim_transaction_id, error))
		return FALSE;
	if (!is_result) {
		if (!children_require (&data, ESIM_TAG_EPR_ERROR_CODE, "euiccPackageErrorCode", &tlv,
				       error) ||
		    !esim_tlv_get_int (&tlv, &value, error))
			return FALSE;
		if (value <= 0 || value > G_MAXINT)
			return malformed (error, "euiccPackageErrorCode %" G_GINT64_FORMAT, value);
		result->error_code = (gint) value;
		return children_end (&data, what, error);
	}
	if (!children_require (&data, ESIM_TAG_EPR_SEQ_NUMBER, "seqNumber", &tlv, error) ||
	    !esim_tlv_get_int (&tlv, &result->seq_number, error))
		return FALSE;
	if (result->seq_number < 0)
		return malformed (error, "seqNumber is negative");
	if (!children_require (&data, ESIM_TAG_EPR_RESULTS, "euiccResult", &tlv, error) ||
	    !read_results (&tlv, result, error))
		return FALSE;
	return children_end (&data, what, error);
}

/* euiccPackageErrorUnsigned: { 80 eimId, 82 eimTransactionId OPT, 84 associationToken OPT,
 * 8F code OPT } */
static gboolean
read_unsigned (const EsimTlv *arm, EsimEuiccPackageResult *result, GError **error)
{
	Children data;
	EsimTlv tlv;
	gint64 value = 0;

	result->error_code = -1;
	if (!children_load (&data, arm, "euiccPackageErrorUnsigned", error) ||
	    !children_require (&data, ESIM_TAG_EUICC_PACKAGE_EIM_ID, "eimId", &tlv, error) ||
	    !get_eim_id (&tlv, &result->eim_id, error))
		return FALSE;
	if (children_take (&data, ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID, &tlv) &&
	    !get_transaction_id (&tlv, &result->eim_transaction_id, error))
		return FALSE;
	if (children_take (&data, ESIM_TAG_EPR_UNSIGNED_TOKEN, &tlv)) {
		result->has_association_token = TRUE;
		if (!esim_tlv_get_int (&tlv, &result->association_token, error))
			return FALSE;
	}
	if (children_take (&data, ESIM_TAG_EPR_UNSIGNED_CODE, &tlv)) {
		if (!esim_tlv_get_int (&tlv, &value, error))
			return FALSE;
		if (value < 0 || value > G_MAXINT)
			return malformed (error, "euiccPackageUnsignedErrorCode %" G_GINT64_FORMAT, value);
		result->error_code = (gint) value;
	}
	return children_end (&data, "euiccPackageErrorUnsigned", error);
}

EsimEuiccPackageResult *
esim_es10_parse_euicc_package_result (GBytes *response, GError **error)
{
	g_autoptr(EsimEuiccPackageResult) result = g_new0 (EsimEuiccPackageResult, 1);
	EsimTlv outer;
	EsimTlv arm;
	gboolean ok;

	result->results = g_array_new (FALSE, TRUE, sizeof (EsimEuiccResult));
	result->counter_value = -1;
	result->seq_number = -1;
	if (!parse_response (response, ESIM_TAG_LOAD_EUICC_PACKAGE, &outer, error) ||
	    !outer.constructed || outer.len == 0 ||
	    !esim_tlv_parse_exact (outer.value, outer.len, &arm, error)) {
		if (error != NULL && *error == NULL)
			malformed (error, "BF51 holds no alternative");
		g_prefix_error (error, "LoadEuiccPackage: ");
		return NULL;
	}
	switch (arm.tag) {
	case ESIM_TAG_EPR_SIGNED:
		result->kind = ESIM_EUICC_PACKAGE_RESULT_SIGNED;
		ok = read_signed (&arm, result, error);
		break;
	case ESIM_TAG_EPR_ERROR_SIGNED:
		result->kind = ESIM_EUICC_PACKAGE_ERROR_SIGNED;
		ok = read_signed (&arm, result, error);
		break;
	case ESIM_TAG_EPR_ERROR_UNSIGNED:
		result->kind = ESIM_EUICC_PACKAGE_ERROR_UNSIGNED;
		ok = read_unsigned (&arm, result, error);
		break;
	default:
		/* vectors.md V19: BF51 { 30 … } without the CHOICE tag real cards send */
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
			     "EuiccPackageResult alternative must be A0, A1 or A2, got %X", arm.tag);
		ok = FALSE;
		break;
	}
	if (!ok) {
		g_prefix_error (error, "LoadEuiccPackage: ");
		return NULL;
	}
	result->raw = g_bytes_ref (response);
	return g_steal_pointer (&result);
}

GBytes *
esim_es10_encode_load_euicc_package (GBytes *package, GError **error)
{
	const guint8 *data;
	gsize len = 0;
	EsimTlv tlv;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail (package != NULL, NULL);
	data = g_bytes_get_data (package, &len);
	if (len == 0 || !esim_tlv_parse_tagged (data, len, ESIM_TAG_LOAD_EUICC_PACKAGE, &tlv,
						&error_local) ||
	    !tlv.constructed) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "LoadEuiccPackage: the package is not one EuiccPackageRequest (BF51)%s%s",
			     error_local != NULL ? ": " : "",
			     error_local != NULL ? error_local->message : "");
		return NULL;
	}
	/* forwarded as the eIM signed it */
	return g_bytes_ref (package);
}

/* ---- ProfileRollback, ImmediateEnable, ConfigureImmediateProfileEnabling ---- */

static GBytes *
encode_refresh_request (EsimTag tag, gboolean refresh)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, tag);
	esim_der_writer_put_bool (writer, ESIM_TAG_IOT_REFRESH_FLAG, refresh);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
esim_es10_encode_profile_rollback (gboolean refresh)
{
	return encode_refresh_request (ESIM_TAG_PROFILE_ROLLBACK, refresh);
}

GBytes *
esim_es10_encode_immediate_enable (gboolean refresh)
{
	return encode_refresh_request (ESIM_TAG_IMMEDIATE_ENABLE, refresh);
}

static gboolean
check_code (const IotResultName *names, gint64 code, const gchar *function, GError **error)
{
	const IotResultName *name;

	if (code == 0)
		return TRUE;
	name = find_name (names, code);
	if (name != NULL)
		g_set_error (error, ESIM_ES10_ERROR, name->error, "%s: %s (%" G_GINT64_FORMAT ")",
			     function, name->name, code);
	else
		g_set_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED,
			     "%s: unknown result code (%" G_GINT64_FORMAT ")", function, code);
	return FALSE;
}

/* { 80 result } answers */
static gboolean
parse_code_response (GBytes *response, EsimTag tag, const IotResultName *names,
		     const gchar *function, GError **error)
{
	Children c;
	EsimTlv outer;
	EsimTlv code;
	gint64 value = 0;

	if (!parse_response (response, tag, &outer, error) ||
	    !children_load (&c, &outer, function, error) ||
	    !children_require (&c, ESIM_TAG_RESULT, "result", &code, error) ||
	    !children_end (&c, function, error) ||
	    !esim_tlv_get_int (&code, &value, error)) {
		g_prefix_error (error, "%s: ", function);
		return FALSE;
	}
	return check_code (names, value, function, error);
}

gboolean
esim_es10_parse_immediate_enable (GBytes *response, GError **error)
{
	return parse_code_response (response, ESIM_TAG_IMMEDIATE_ENABLE, immediate_enable_results,
				    "ImmediateEnable", error);
}

gboolean
esim_es10_parse_configure_immediate_enable (GBytes *response, GError **error)
{
	return parse_code_response (response, ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE,
				    configure_immediate_enable_results,
				    "ConfigureImmediateProfileEnabling", error);
}

/* BF58 { 02 cmdResult, BF51 eUICCPackageResult OPT } */
EsimProfileRollbackOk *
esim_es10_parse_profile_rollback (GBytes *response, GError **error)
{
	g_autoptr(EsimProfileRollbackOk) ok = g_new0 (EsimProfileRollbackOk, 1);
	g_autoptr(GBytes) package = NULL;
	Children c;
	EsimTlv outer;
	EsimTlv tlv;
	gint64 code = 0;

	if (!parse_response (response, ESIM_TAG_PROFILE_ROLLBACK, &outer, error) ||
	    !children_load (&c, &outer, "ProfileRollbackResponse", error) ||
	    !children_require (&c, ESIM_TAG_ROLLBACK_CMD_RESULT, "cmdResult", &tlv, error) ||
	    !esim_tlv_get_int (&tlv, &code, error)) {
		g_prefix_error (error, "ProfileRollback: ");
		return NULL;
	}
	if (children_take (&c, ESIM_TAG_ROLLBACK_PACKAGE_RESULT, &tlv)) {
		package = esim_tlv_dup_raw (&tlv);
		ok->package_result = esim_es10_parse_euicc_package_result (package, error);
		if (ok->package_result == NULL) {
			g_prefix_error (error, "ProfileRollback: ");
			return NULL;
		}
	}
	if (!children_end (&c, "ProfileRollbackResponse", error)) {
		g_prefix_error (error, "ProfileRollback: ");
		return NULL;
	}
	if (!check_code (rollback_results, code, "ProfileRollback", error))
		return NULL;
	return g_steal_pointer (&ok);
}

/* Dotted OID -> the DER value of an OBJECT IDENTIFIER (X.690 §8.19); NULL if
 * @dotted is not one. */
static GBytes *
encode_oid (const gchar *dotted)
{
	g_auto(GStrv) arcs = g_strsplit (dotted, ".", -1);
	g_autoptr(GByteArray) out = g_byte_array_new ();
	guint64 first = 0, second = 0;
	guint n = g_strv_length (arcs);

	if (n < 2 || !g_ascii_string_to_unsigned (arcs[0], 10, 0, 2, &first, NULL) ||
	    !g_ascii_string_to_unsigned (arcs[1], 10, 0, first < 2 ? 39 : G_MAXUINT32, &second,
					 NULL))
		return NULL;
	for (guint i = 1; i < n; i++) {
		guint64 arc = 0;
		guint8 buf[10];
		guint len = 0;

		if (i > 1 && !g_ascii_string_to_unsigned (arcs[i], 10, 0, G_MAXUINT32, &arc, NULL))
			return NULL;
		if (i == 1)
			arc = first * 40 + second;
		/* base 128, most significant group first, bit 8 set on all but the last */
		do {
			buf[len++] = (guint8) (arc & 0x7F);
			arc >>= 7;
		} while (arc > 0);
		while (len > 0) {
			guint8 byte;

			len--;
			byte = buf[len] | (len > 0 ? 0x80 : 0);
			g_byte_array_append (out, &byte, 1);
		}
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
esim_es10_encode_configure_immediate_enable (gboolean enable, const gchar *smdp_oid,
					     const gchar *smdp_address, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) oid = NULL;

	if (smdp_oid != NULL && (oid = encode_oid (smdp_oid)) == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "ConfigureImmediateProfileEnabling: '%s' is not an OID", smdp_oid);
		return NULL;
	}
	if (smdp_address != NULL &&
	    (strlen (smdp_address) > 255 || !g_utf8_validate (smdp_address, -1, NULL))) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "ConfigureImmediateProfileEnabling: the SM-DP+ address must be "
				     "UTF-8 of at most 255 bytes");
		return NULL;
	}
	esim_der_writer_begin (writer, ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE);
	if (enable)
		esim_der_writer_put_null (writer, ESIM_TAG_IMMEDIATE_ENABLE_FLAG);
	if (oid != NULL)
		esim_der_writer_put_bytes (writer, ESIM_TAG_IMMEDIATE_ENABLE_SMDP_OID, oid);
	if (smdp_address != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_IMMEDIATE_ENABLE_SMDP_ADDRESS, smdp_address);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* ---- async calls ---- */

typedef enum {
	CALL_LOAD_EUICC_PACKAGE,
	CALL_PROFILE_ROLLBACK,
	CALL_IMMEDIATE_ENABLE,
	CALL_CONFIGURE_IMMEDIATE_ENABLE,
} IotCallKind;

static void
iot_call_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	IotCallKind kind = GPOINTER_TO_INT (g_task_get_task_data (task));
	g_autoptr(GBytes) response = NULL;
	EsimEuiccPackageResult *result;
	EsimProfileRollbackOk *rollback;
	GError *error = NULL;
	gboolean ok;

	response = esim_isdr_transceive_finish (ESIM_ISDR (source), res, &error);
	if (response == NULL) {
		g_prefix_error (&error, "%s: ", g_task_get_name (task));
		g_task_return_error (task, error);
		return;
	}
	switch (kind) {
	case CALL_LOAD_EUICC_PACKAGE:
		result = esim_es10_parse_euicc_package_result (response, &error);
		if (result == NULL) {
			g_task_return_error (task, error);
			return;
		}
		{
			/* eimId, counter and codes only: nothing personal */
			g_autofree gchar *line = esim_euicc_package_result_describe (result);
			g_debug ("LoadEuiccPackage: %s", line);
		}
		g_task_return_pointer (task, result, (GDestroyNotify) esim_euicc_package_result_free);
		return;
	case CALL_PROFILE_ROLLBACK:
		rollback = esim_es10_parse_profile_rollback (response, &error);
		if (rollback == NULL) {
			g_task_return_error (task, error);
			return;
		}
		g_task_return_pointer (task, rollback, (GDestroyNotify) esim_profile_rollback_ok_free);
		return;
	case CALL_IMMEDIATE_ENABLE:
		ok = esim_es10_parse_immediate_enable (response, &error);
		break;
	case CALL_CONFIGURE_IMMEDIATE_ENABLE:
	default:
		ok = esim_es10_parse_configure_immediate_enable (response, &error);
		break;
	}
	if (!ok) {
		g_task_return_error (task, error);
		return;
	}
	g_task_return_boolean (task, TRUE);
}

/* Sends @request, or returns @encode_error without touching the card. */
static void
iot_call (EsimIsdr *isdr, IotCallKind kind, const gchar *function, GBytes *request,
	  GError *encode_error, gpointer source_tag, GCancellable *cancellable,
	  GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (isdr, cancellable, callback, user_data);

	g_task_set_source_tag (task, source_tag);
	g_task_set_name (task, function);
	g_task_set_task_data (task, GINT_TO_POINTER (kind), NULL);
	if (request == NULL) {
		g_debug ("ES10 %s not sent: %s", function, encode_error->message);
		g_task_return_error (task, encode_error);
		return;
	}
	g_debug ("ES10 %s (%" G_GSIZE_FORMAT " bytes)", function, g_bytes_get_size (request));
	esim_isdr_transceive_async (isdr, request, cancellable, iot_call_ready,
				    g_steal_pointer (&task));
}

static gboolean
iot_task_valid (EsimIsdr *isdr, GAsyncResult *res, gpointer source_tag)
{
	g_return_val_if_fail (ESIM_IS_ISDR (isdr), FALSE);
	g_return_val_if_fail (g_task_is_valid (res, isdr), FALSE);
	g_return_val_if_fail (g_async_result_is_tagged (res, source_tag), FALSE);
	return TRUE;
}

void
esim_es10_load_euicc_package (EsimIsdr *isdr, GBytes *package, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = NULL;
	GError *error = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (package != NULL);
	request = esim_es10_encode_load_euicc_package (package, &error);
	iot_call (isdr, CALL_LOAD_EUICC_PACKAGE, "LoadEuiccPackage", request, error,
		  esim_es10_load_euicc_package, cancellable, callback, user_data);
}

EsimEuiccPackageResult *
esim_es10_load_euicc_package_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	if (!iot_task_valid (isdr, res, esim_es10_load_euicc_package))
		return NULL;
	return g_task_propagate_pointer (G_TASK (res), error);
}

void
esim_es10_profile_rollback (EsimIsdr *isdr, gboolean refresh, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_profile_rollback (refresh);

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	iot_call (isdr, CALL_PROFILE_ROLLBACK, "ProfileRollback", request, NULL,
		  esim_es10_profile_rollback, cancellable, callback, user_data);
}

EsimProfileRollbackOk *
esim_es10_profile_rollback_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	if (!iot_task_valid (isdr, res, esim_es10_profile_rollback))
		return NULL;
	return g_task_propagate_pointer (G_TASK (res), error);
}

void
esim_es10_immediate_enable (EsimIsdr *isdr, gboolean refresh, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_immediate_enable (refresh);

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	iot_call (isdr, CALL_IMMEDIATE_ENABLE, "ImmediateEnable", request, NULL,
		  esim_es10_immediate_enable, cancellable, callback, user_data);
}

gboolean
esim_es10_immediate_enable_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	if (!iot_task_valid (isdr, res, esim_es10_immediate_enable))
		return FALSE;
	return g_task_propagate_boolean (G_TASK (res), error);
}

void
esim_es10_configure_immediate_enable (EsimIsdr *isdr, gboolean enable, const gchar *smdp_oid,
				      const gchar *smdp_address, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = NULL;
	GError *error = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	request = esim_es10_encode_configure_immediate_enable (enable, smdp_oid, smdp_address,
							       &error);
	iot_call (isdr, CALL_CONFIGURE_IMMEDIATE_ENABLE, "ConfigureImmediateProfileEnabling", request,
		  error, esim_es10_configure_immediate_enable, cancellable, callback, user_data);
}

gboolean
esim_es10_configure_immediate_enable_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	if (!iot_task_valid (isdr, res, esim_es10_configure_immediate_enable))
		return FALSE;
	return g_task_propagate_boolean (G_TASK (res), error);
}
