/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES10 response parsers.  Every parser is pure: response TLV in, typed result
 * or GError out.  Unknown tags are skipped (cards add fields between
 * versions); anything malformed is ESIM_DER_ERROR and a non-ok result code is
 * ESIM_ES10_ERROR.  Every error message starts with the ES10 function name.
 */

#define G_LOG_DOMAIN "esim"

#include "esim-der.h"
#include "esim-es10.h"
#include "esim-tags.h"
#include "esim-util.h"

/* ---- shared helpers ---- */

/* The spec name of one result code and what it means to us. */
typedef struct {
	gint64	      code;
	const gchar  *name;
	EsimEs10Error error;
} Es10ResultName;

#define RESULT_UNDEFINED { 127, "undefinedError", ESIM_ES10_ERROR_UNDEFINED }
#define RESULT_END	 { 0, NULL, ESIM_ES10_ERROR_UNDEFINED }

static const Es10ResultName enable_profile_results[] = {
	{ 1, "iccidOrAidNotFound", ESIM_ES10_ERROR_NOT_FOUND },
	{ 2, "profileNotInDisabledState", ESIM_ES10_ERROR_WRONG_STATE },
	{ 3, "disallowedByPolicy", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	{ 4, "wrongProfileReenabling", ESIM_ES10_ERROR_WRONG_STATE },
	{ 5, "catBusy", ESIM_ES10_ERROR_CAT_BUSY },
	{ 20, "rollbackNotAvailable", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName disable_profile_results[] = {
	{ 1, "iccidOrAidNotFound", ESIM_ES10_ERROR_NOT_FOUND },
	{ 2, "profileNotInEnabledState", ESIM_ES10_ERROR_WRONG_STATE },
	{ 3, "disallowedByPolicy", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	{ 5, "catBusy", ESIM_ES10_ERROR_CAT_BUSY },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName delete_profile_results[] = {
	{ 1, "iccidOrAidNotFound", ESIM_ES10_ERROR_NOT_FOUND },
	{ 2, "profileNotInDisabledState", ESIM_ES10_ERROR_WRONG_STATE },
	{ 3, "disallowedByPolicy", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	{ 20, "rollbackNotAvailable", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	{ 21, "returnFallbackProfile", ESIM_ES10_ERROR_DISALLOWED_BY_POLICY },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName set_nickname_results[] = {
	{ 1, "iccidNotFound", ESIM_ES10_ERROR_NOT_FOUND },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName reset_results[] = {
	{ 1, "nothingToDelete", ESIM_ES10_ERROR_NOTHING_TO_DELETE },
	{ 5, "catBusy", ESIM_ES10_ERROR_CAT_BUSY },
	{ 104, "ecallActive", ESIM_ES10_ERROR_ECALL_ACTIVE },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName reset_eim_results[] = {
	{ 1, "nothingToDelete", ESIM_ES10_ERROR_NOTHING_TO_DELETE },
	{ 2, "eimResetNotSupported", ESIM_ES10_ERROR_INVALID },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName reset_iec_results[] = {
	{ 1, "resetIECNotSupported", ESIM_ES10_ERROR_INVALID },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName undefined_only_results[] = {
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName notification_sent_results[] = {
	{ 1, "nothingToDelete", ESIM_ES10_ERROR_NOTHING_TO_DELETE },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName profile_info_list_results[] = {
	{ 1, "incorrectInputValues", ESIM_ES10_ERROR_INVALID },
	{ 11, "profileChangeOngoing", ESIM_ES10_ERROR_CAT_BUSY },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName get_certs_results[] = {
	{ 1, "invalidCiPKId", ESIM_ES10_ERROR_NOT_FOUND },
	RESULT_UNDEFINED,
	RESULT_END,
};

static const Es10ResultName add_initial_eim_results[] = {
	{ 1, "insufficientMemory", ESIM_ES10_ERROR_NO_MEMORY },
	{ 2, "associatedEimAlreadyExists", ESIM_ES10_ERROR_ALREADY_EXISTS },
	{ 3, "ciPKUnknown", ESIM_ES10_ERROR_INVALID },
	{ 5, "invalidAssociationToken", ESIM_ES10_ERROR_INVALID },
	{ 6, "counterValueOutOfRange", ESIM_ES10_ERROR_INVALID },
	{ 7, "commandError", ESIM_ES10_ERROR_INVALID },
	RESULT_UNDEFINED,
	RESULT_END,
};

/* Prefixes the error with the ES10 function name and returns NULL / FALSE. */
static gpointer
fail_null (GError **error, const gchar *function)
{
	g_prefix_error (error, "%s: ", function);
	return NULL;
}

static gboolean
fail_false (GError **error, const gchar *function)
{
	g_prefix_error (error, "%s: ", function);
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
			     "empty response, expected %02X", tag);
		return FALSE;
	}
	return esim_tlv_parse_tagged (data, len, tag, out, error);
}

/* The content of a CHOICE-typed response: exactly one element. */
static gboolean
parse_choice (const EsimTlv *outer, EsimTlv *out, GError **error)
{
	if (outer->len == 0) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
			     "%02X is empty", outer->tag);
		return FALSE;
	}
	return esim_tlv_parse_exact (outer->value, outer->len, out, error);
}

static gboolean
unexpected_tag (const EsimTlv *tlv, const gchar *where, GError **error)
{
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
		     "unexpected tag %02X in %s", tlv->tag, where);
	return FALSE;
}

static gboolean
find_required (const EsimTlv *parent, EsimTag tag, const gchar *what, EsimTlv *out,
	       GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (esim_tlv_find (parent, tag, out, &error_local))
		return TRUE;
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "%s (%02X) missing", what,
		     tag);
	return FALSE;
}

static gboolean
check_result (const Es10ResultName *names, gint64 code, GError **error)
{
	if (code == 0)
		return TRUE;
	for (guint i = 0; names[i].name != NULL; i++) {
		if (names[i].code == code) {
			g_set_error (error, ESIM_ES10_ERROR, names[i].error,
				     "%s (%" G_GINT64_FORMAT ")", names[i].name, code);
			return FALSE;
		}
	}
	g_set_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED,
		     "unknown result code (%" G_GINT64_FORMAT ")", code);
	return FALSE;
}

static gboolean
parse_result_code (const EsimTlv *tlv, const Es10ResultName *names, GError **error)
{
	gint64 code = 0;

	if (!esim_tlv_get_int (tlv, &code, error))
		return FALSE;
	return check_result (names, code, error);
}

/* The error alternative of a CHOICE answer is an error even if its code is
 * 0, which no function defines there. */
static gboolean
set_choice_error (const EsimTlv *tlv, const Es10ResultName *names, GError **error)
{
	gint64 code = 0;

	if (!esim_tlv_get_int (tlv, &code, error))
		return FALSE;
	if (code == 0) {
		g_set_error_literal (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED,
				     "error result without a code (0)");
		return FALSE;
	}
	return check_result (names, code, error);
}

/* Responses that are only { 80 result }. */
static gboolean
parse_simple_result (const gchar *function, GBytes *response, EsimTag tag,
		     const Es10ResultName *names, GError **error)
{
	EsimTlv outer;
	EsimTlv result;

	if (!parse_response (response, tag, &outer, error) ||
	    !find_required (&outer, ESIM_TAG_RESULT, "result", &result, error) ||
	    !parse_result_code (&result, names, error))
		return fail_false (error, function);
	return TRUE;
}

/* VersionType: three bytes, major.minor.revision. */
static gchar *
dup_version (const EsimTlv *tlv, GError **error)
{
	if (tlv->len != 3) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "version %02X must be 3 bytes, got %" G_GSIZE_FORMAT, tlv->tag,
			     tlv->len);
		return NULL;
	}
	return g_strdup_printf ("%u.%u.%u", tlv->value[0], tlv->value[1], tlv->value[2]);
}

/* Replaces *field (freeing an earlier value from a duplicate tag). */
static gboolean
take_string (gchar **field, gchar *value)
{
	if (value == NULL)
		return FALSE;
	g_free (*field);
	*field = value;
	return TRUE;
}

/* SEQUENCE OF SubjectKeyIdentifier (04) -> upper-case hex strings. */
static GPtrArray *
parse_pkid_list (const EsimTlv *list, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	esim_tlv_iter_init (&iter, list);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (child.tag == ESIM_TAG_SUBJECT_KEY_ID)
			g_ptr_array_add (out, esim_hex_encode (child.value, child.len));
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return NULL;
	}
	return g_steal_pointer (&out);
}

static gboolean
replace_pkid_list (GPtrArray **field, const EsimTlv *list, GError **error)
{
	GPtrArray *value = parse_pkid_list (list, error);

	if (value == NULL)
		return FALSE;
	g_clear_pointer (field, g_ptr_array_unref);
	*field = value;
	return TRUE;
}

/* An INTEGER that must fit a non-negative gint. */
static gboolean
get_small_int (const EsimTlv *tlv, gint *out, GError **error)
{
	gint64 value = 0;

	if (!esim_tlv_get_int (tlv, &value, error))
		return FALSE;
	if (value < 0 || value > G_MAXINT) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "value %" G_GINT64_FORMAT " of %02X out of range", value, tlv->tag);
		return FALSE;
	}
	*out = (gint) value;
	return TRUE;
}

/* The util codecs report bad ICCID/EID bytes as G_IO_ERROR; coming from the
 * card they are an answer we cannot decode, i.e. ESIM_DER_ERROR. */
static gboolean
as_der_error (gboolean ok, GError *error_local, const gchar *what, GError **error)
{
	if (ok)
		return TRUE;
	g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE, "%s: %s", what,
		     error_local != NULL ? error_local->message : "invalid");
	return FALSE;
}

static gchar *
dup_iccid (const EsimTlv *tlv, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gchar *iccid = esim_iccid_from_bcd (tlv->value, tlv->len, &error_local);

	as_der_error (iccid != NULL, error_local, "iccid", error);
	return iccid;
}

/* ---- GetEID ---- */

gchar *
esim_es10_parse_get_eid (GBytes *response, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlv outer;
	EsimTlv eid_tlv;
	gchar *eid;

	if (!parse_response (response, ESIM_TAG_GET_EID, &outer, error) ||
	    !find_required (&outer, ESIM_TAG_EID, "eidValue", &eid_tlv, error))
		return fail_null (error, "GetEID");
	eid = esim_eid_from_bytes (eid_tlv.value, eid_tlv.len, &error_local);
	if (!as_der_error (eid != NULL, error_local, "eidValue", error))
		return fail_null (error, "GetEID");
	return eid;
}

/* ---- GetEUICCInfo1 ---- */

EsimEuiccInfo1 *
esim_es10_parse_euicc_info1 (GBytes *response, GError **error)
{
	g_autoptr(EsimEuiccInfo1) info = g_new0 (EsimEuiccInfo1, 1);
	EsimTlv outer;
	EsimTlv tlv;

	if (!parse_response (response, ESIM_TAG_GET_EUICC_INFO1, &outer, error))
		return fail_null (error, "GetEUICCInfo1");
	if (!find_required (&outer, ESIM_TAG_INFO_SVN, "svn", &tlv, error))
		return fail_null (error, "GetEUICCInfo1");
	info->svn = dup_version (&tlv, error);
	if (info->svn == NULL)
		return fail_null (error, "GetEUICCInfo1");
	if (!find_required (&outer, ESIM_TAG_INFO_CI_PKIDS_VERIFICATION,
			    "euiccCiPKIdListForVerification", &tlv, error) ||
	    !replace_pkid_list (&info->ci_pkids_verification, &tlv, error))
		return fail_null (error, "GetEUICCInfo1");
	if (!find_required (&outer, ESIM_TAG_INFO_CI_PKIDS_SIGNING, "euiccCiPKIdListForSigning",
			    &tlv, error) ||
	    !replace_pkid_list (&info->ci_pkids_signing, &tlv, error))
		return fail_null (error, "GetEUICCInfo1");
	info->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&info);
}

/* ---- GetEUICCInfo2 ---- */

/* Unsigned big-endian value of an extCardResource item; -1 if unusable. */
static gint64
ext_card_resource_value (const EsimTlv *tlv)
{
	gint64 value = 0;

	if (tlv->len == 0 || tlv->len > 7)
		return -1;
	for (gsize i = 0; i < tlv->len; i++)
		value = (value << 8) | tlv->value[i];
	return value;
}

/* extCardResource (ETSI TS 102 226): 81 installed applications, 82 free
 * non-volatile memory, 83 free volatile memory.  The values are plain
 * big-endian numbers (not DER INTEGERs: V11 has 82 04 00062824). */
static gboolean
parse_ext_card_resource (const EsimTlv *tlv, EsimEuiccInfo2 *info, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv item;

	esim_tlv_iter_init_buf (&iter, tlv->value, tlv->len);
	while (esim_tlv_iter_next (&iter, &item, &error_local)) {
		if (item.tag == ESIM_TAG_ECR_INSTALLED_APPLICATIONS)
			info->installed_applications = ext_card_resource_value (&item);
		else if (item.tag == ESIM_TAG_ECR_FREE_NVM)
			info->free_nvm = ext_card_resource_value (&item);
		else if (item.tag == ESIM_TAG_ECR_FREE_VOLATILE)
			info->free_ram = ext_card_resource_value (&item);
	}
	if (error_local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&error_local),
					    "extCardResource: ");
		return FALSE;
	}
	return TRUE;
}

/* IoTSpecificInfo (B4): A0 { 04 version… }, 81 ecallSupported, 82 fallbackSupported. */
static gboolean
parse_iot_specific_info (const EsimTlv *tlv, EsimEuiccInfo2 *info, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv item;

	info->has_iot_specific_info = TRUE;
	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &item, &error_local)) {
		if (item.tag == ESIM_TAG_IOT_VERSIONS) {
			EsimTlvIter versions;
			EsimTlv version;
			esim_tlv_iter_init (&versions, &item);
			while (esim_tlv_iter_next (&versions, &version, &error_local)) {
				gchar *str;
				if (version.tag != ESIM_TAG_OCTET_STRING)
					continue;
				str = dup_version (&version, error);
				if (str == NULL)
					return FALSE;
				g_ptr_array_add (info->iot_versions, str);
			}
			if (error_local != NULL)
				break;
		} else if (item.tag == ESIM_TAG_IOT_ECALL_SUPPORTED) {
			info->ecall_supported = TRUE;
		} else if (item.tag == ESIM_TAG_IOT_FALLBACK_SUPPORTED) {
			info->fallback_supported = TRUE;
		}
	}
	if (error_local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&error_local),
					    "iotSpecificInfo: ");
		return FALSE;
	}
	return TRUE;
}

/* One EUICCInfo2 member; unknown and unused tags are skipped. */
static gboolean
parse_euicc_info2_member (const EsimTlv *tlv, EsimEuiccInfo2 *info, GError **error)
{
	switch (tlv->tag) {
	case ESIM_TAG_INFO2_PROFILE_VERSION:
		return take_string (&info->profile_version, dup_version (tlv, error));
	case ESIM_TAG_INFO_SVN:
		return take_string (&info->svn, dup_version (tlv, error));
	case ESIM_TAG_INFO2_FIRMWARE_VERSION:
		return take_string (&info->firmware_version, dup_version (tlv, error));
	case ESIM_TAG_INFO2_EXT_CARD_RESOURCE:
		return parse_ext_card_resource (tlv, info, error);
	case ESIM_TAG_INFO2_TS102241_VERSION:
		return take_string (&info->ts102241_version, dup_version (tlv, error));
	case ESIM_TAG_INFO2_GP_VERSION:
		return take_string (&info->gp_version, dup_version (tlv, error));
	case ESIM_TAG_INFO_CI_PKIDS_VERIFICATION:
		return replace_pkid_list (&info->ci_pkids_verification, tlv, error);
	case ESIM_TAG_INFO_CI_PKIDS_SIGNING:
		return replace_pkid_list (&info->ci_pkids_signing, tlv, error);
	case ESIM_TAG_INFO2_PP_VERSION:
		return take_string (&info->pp_version, dup_version (tlv, error));
	case ESIM_TAG_INFO2_SAS_ACCREDITATION:
		return take_string (&info->sas_accreditation_number,
				    esim_tlv_dup_utf8 (tlv, error));
	case ESIM_TAG_INFO2_IPA_MODE:
		/* ipaMode [16] (SGP.32); note that 99 is SGP.22's
		 * forbiddenProfilePolicyRules [25], not an IoT field */
		return get_small_int (tlv, &info->ipa_mode, error);
	case ESIM_TAG_INFO2_IOT_SPECIFIC_INFO:
		return parse_iot_specific_info (tlv, info, error);
	default:
		return TRUE;
	}
}

EsimEuiccInfo2 *
esim_es10_parse_euicc_info2 (GBytes *response, GError **error)
{
	g_autoptr(EsimEuiccInfo2) info = g_new0 (EsimEuiccInfo2, 1);
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv child;

	info->installed_applications = -1;
	info->free_nvm = -1;
	info->free_ram = -1;
	info->ipa_mode = -1;
	info->ci_pkids_verification = g_ptr_array_new_with_free_func (g_free);
	info->ci_pkids_signing = g_ptr_array_new_with_free_func (g_free);
	info->iot_versions = g_ptr_array_new_with_free_func (g_free);

	if (!parse_response (response, ESIM_TAG_GET_EUICC_INFO2, &outer, error))
		return fail_null (error, "GetEUICCInfo2");
	esim_tlv_iter_init (&iter, &outer);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (!parse_euicc_info2_member (&child, info, error))
			return fail_null (error, "GetEUICCInfo2");
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "GetEUICCInfo2");
	}
	if (info->profile_version == NULL || info->svn == NULL || info->firmware_version == NULL) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
				     "profileVersion (81), svn (82) or euiccFirmwareVer (83) "
				     "missing");
		return fail_null (error, "GetEUICCInfo2");
	}
	info->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&info);
}

/* ---- GetProfilesInfo ---- */

static gboolean
parse_profile_info_member (const EsimTlv *tlv, EsimProfileInfo *info, GError **error)
{
	gint value = 0;

	switch (tlv->tag) {
	case ESIM_TAG_ICCID:
		return take_string (&info->iccid, dup_iccid (tlv, error));
	case ESIM_TAG_ISDP_AID:
		return take_string (&info->isdp_aid, esim_hex_encode (tlv->value, tlv->len));
	case ESIM_TAG_PROFILE_STATE:
		if (!get_small_int (tlv, &value, error))
			return FALSE;
		if (value > ESIM_PROFILE_STATE_ENABLED) {
			g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
				     "invalid profileState %d", value);
			return FALSE;
		}
		info->state = (EsimProfileState) value;
		return TRUE;
	case ESIM_TAG_PROFILE_NICKNAME:
		return take_string (&info->nickname, esim_tlv_dup_utf8 (tlv, error));
	case ESIM_TAG_PROFILE_SERVICE_PROVIDER:
		return take_string (&info->service_provider, esim_tlv_dup_utf8 (tlv, error));
	case ESIM_TAG_PROFILE_NAME:
		return take_string (&info->name, esim_tlv_dup_utf8 (tlv, error));
	case ESIM_TAG_PROFILE_CLASS:
		if (!get_small_int (tlv, &value, error))
			return FALSE;
		info->profile_class = value <= ESIM_PROFILE_CLASS_OPERATIONAL
					      ? (EsimProfileClass) value
					      : ESIM_PROFILE_CLASS_UNKNOWN;
		return TRUE;
	case ESIM_TAG_PROFILE_FALLBACK_ATTRIBUTE:
		return esim_tlv_get_bool (tlv, &info->fallback_attribute, error);
	case ESIM_TAG_PROFILE_FALLBACK_ALLOWED:
		return esim_tlv_get_bool (tlv, &info->fallback_allowed, error);
	default:
		/* icons, PPRs, owner, 9F7B, BF64 and later additions */
		return TRUE;
	}
}

static EsimProfileInfo *
parse_profile_info (const EsimTlv *tlv, GError **error)
{
	g_autoptr(EsimProfileInfo) info = g_new0 (EsimProfileInfo, 1);
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	info->state = ESIM_PROFILE_STATE_DISABLED;
	info->profile_class = ESIM_PROFILE_CLASS_OPERATIONAL; /* DEFAULT operational */
	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (!parse_profile_info_member (&child, info, error)) {
			g_prefix_error (error, "ProfileInfo %02X: ", child.tag);
			return NULL;
		}
	}
	if (error_local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&error_local), "ProfileInfo: ");
		return NULL;
	}
	info->raw = esim_tlv_dup_raw (tlv);
	return g_steal_pointer (&info);
}

GPtrArray *
esim_es10_parse_profiles_info (GBytes *response, GError **error)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv choice;
	EsimTlv child;

	if (!parse_response (response, ESIM_TAG_GET_PROFILES_INFO, &outer, error) ||
	    !parse_choice (&outer, &choice, error))
		return fail_null (error, "GetProfilesInfo");
	if (choice.tag == ESIM_TAG_LIST_ERROR) {
		set_choice_error (&choice, profile_info_list_results, error);
		return fail_null (error, "GetProfilesInfo");
	}
	if (choice.tag != ESIM_TAG_LIST_OK) {
		unexpected_tag (&choice, "ProfileInfoListResponse", error);
		return fail_null (error, "GetProfilesInfo");
	}

	profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_profile_info_free);
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		EsimProfileInfo *info;
		if (child.tag != ESIM_TAG_PROFILE_INFO)
			continue;
		info = parse_profile_info (&child, error);
		if (info == NULL)
			return fail_null (error, "GetProfilesInfo");
		g_ptr_array_add (profiles, info);
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "GetProfilesInfo");
	}
	return g_steal_pointer (&profiles);
}

/* ---- profile state changes, nickname ---- */

gboolean
esim_es10_parse_enable_profile (GBytes *response, GError **error)
{
	return parse_simple_result ("EnableProfile", response, ESIM_TAG_ENABLE_PROFILE,
				    enable_profile_results, error);
}

gboolean
esim_es10_parse_disable_profile (GBytes *response, GError **error)
{
	return parse_simple_result ("DisableProfile", response, ESIM_TAG_DISABLE_PROFILE,
				    disable_profile_results, error);
}

gboolean
esim_es10_parse_delete_profile (GBytes *response, GError **error)
{
	return parse_simple_result ("DeleteProfile", response, ESIM_TAG_DELETE_PROFILE,
				    delete_profile_results, error);
}

gboolean
esim_es10_parse_set_nickname (GBytes *response, GError **error)
{
	return parse_simple_result ("SetNickname", response, ESIM_TAG_SET_NICKNAME,
				    set_nickname_results, error);
}

/* ---- eUICCMemoryReset ---- */

/* SGP.32 answers up to three results (profiles, eIM configuration,
 * immediate-enable configuration).  The reset succeeded when at least one
 * part did something and no part failed outright; when every part had
 * nothing to delete, that is the error. */
static gboolean
check_reset_results (const EsimTlv *outer, GError **error)
{
	const EsimTag tags[] = {
		ESIM_TAG_RESET_RESULT, ESIM_TAG_RESET_EIM_RESULT, ESIM_TAG_RESET_IEC_RESULT,
	};
	const Es10ResultName *names[] = { reset_results, reset_eim_results, reset_iec_results };
	gint64 reset_code = 0;
	gboolean any_ok = FALSE;

	for (guint i = 0; i < G_N_ELEMENTS (tags); i++) {
		g_autoptr(GError) error_local = NULL;
		EsimTlv tlv;
		gint64 code = 0;

		if (i == 0) {
			if (!find_required (outer, tags[i], "resetResult", &tlv, error))
				return FALSE;
		} else if (!esim_tlv_find (outer, tags[i], &tlv, &error_local)) {
			if (error_local != NULL) {
				g_propagate_error (error, g_steal_pointer (&error_local));
				return FALSE;
			}
			continue;
		}
		if (!esim_tlv_get_int (&tlv, &code, error))
			return FALSE;
		if (i == 0)
			reset_code = code;
		if (code == 0) {
			any_ok = TRUE;
			continue;
		}
		/* nothingToDelete (1) of one part is not a failure on its own */
		if (code == 1 && i < 2)
			continue;
		return check_result (names[i], code, error);
	}
	if (!any_ok)
		return check_result (reset_results, reset_code != 0 ? reset_code : 1, error);
	return TRUE;
}

gboolean
esim_es10_parse_memory_reset (EsimEs10Variant variant, GBytes *response, GError **error)
{
	EsimTlv outer;

	if (variant == ESIM_ES10_VARIANT_SGP22)
		return parse_simple_result ("eUICCMemoryReset", response,
					    ESIM_TAG_MEMORY_RESET_SGP22, reset_results, error);
	if (!parse_response (response, ESIM_TAG_MEMORY_RESET_SGP32, &outer, error) ||
	    !check_reset_results (&outer, error))
		return fail_false (error, "eUICCMemoryReset");
	return TRUE;
}

/* ---- notifications ---- */

/* NotificationMetadata (BF2F) into @meta; the caller frees @meta's members. */
static gboolean
parse_notification_metadata (const EsimTlv *tlv, EsimNotificationMetadata *meta,
			     GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlv item;
	guint32 events = 0;

	if (!find_required (tlv, ESIM_TAG_NOTIF_SEQ_NUMBER, "seqNumber", &item, error) ||
	    !esim_tlv_get_uint (&item, &meta->seq_number, error))
		return FALSE;
	if (!find_required (tlv, ESIM_TAG_NOTIF_OPERATION, "profileManagementOperation", &item,
			    error) ||
	    !esim_tlv_get_named_bits (&item, 4, &events, error))
		return FALSE;
	meta->events = events;
	if (!find_required (tlv, ESIM_TAG_NOTIF_ADDRESS, "notificationAddress", &item, error))
		return FALSE;
	meta->address = esim_tlv_dup_utf8 (&item, error);
	if (meta->address == NULL)
		return FALSE;
	if (!esim_tlv_find (tlv, ESIM_TAG_ICCID, &item, &error_local)) {
		if (error_local != NULL) {
			g_propagate_error (error, g_steal_pointer (&error_local));
			return FALSE;
		}
		return TRUE; /* iccid is OPTIONAL */
	}
	meta->iccid = dup_iccid (&item, error);
	return meta->iccid != NULL;
}

/* CompactProfileInstallationResult (SGP.32 [0]): normally no BF2F, only the
 * universal INTEGER seqNumber inside compactProfileInstallationResultData. */
static gboolean
parse_compact_pir (const EsimTlv *tlv, EsimNotificationMetadata *meta, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlv data;
	EsimTlv item;

	if (esim_tlv_find (tlv, ESIM_TAG_NOTIFICATION_METADATA, &item, &error_local))
		return parse_notification_metadata (&item, meta, error);
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	if (!find_required (tlv, ESIM_TAG_COMPACT_PIR_DATA, "compactProfileInstallationResultData",
			    &data, error))
		return FALSE;
	if (esim_tlv_find (&data, ESIM_TAG_NOTIFICATION_METADATA, &item, &error_local))
		return parse_notification_metadata (&item, meta, error);
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	if (!find_required (&data, ESIM_TAG_COMPACT_PIR_SEQ_NUMBER, "seqNumber", &item, error) ||
	    !esim_tlv_get_uint (&item, &meta->seq_number, error))
		return FALSE;
	meta->events = ESIM_NOTIFICATION_INSTALL;
	return TRUE;
}

/* One PendingNotification.  Returns TRUE with *out NULL for an alternative
 * we do not know (skipped). */
static gboolean
parse_pending_notification (const EsimTlv *tlv, EsimPendingNotification **out, GError **error)
{
	g_autoptr(EsimPendingNotification) n = g_new0 (EsimPendingNotification, 1);
	EsimTlv data;
	EsimTlv meta;

	*out = NULL;
	switch (tlv->tag) {
	case ESIM_TAG_PROFILE_INSTALLATION_RESULT: /* metadata inside BF27 */
		if (!find_required (tlv, ESIM_TAG_PROFILE_INSTALLATION_RESULT_DATA,
				    "profileInstallationResultData", &data, error) ||
		    !find_required (&data, ESIM_TAG_NOTIFICATION_METADATA, "notificationMetadata",
				    &meta, error) ||
		    !parse_notification_metadata (&meta, &n->meta, error))
			return FALSE;
		break;
	case ESIM_TAG_SEQUENCE: /* OtherSignedNotification */
	case ESIM_TAG_COMPACT_OTHER_NOTIFICATION:
		if (!find_required (tlv, ESIM_TAG_NOTIFICATION_METADATA, "tbsOtherNotification",
				    &meta, error) ||
		    !parse_notification_metadata (&meta, &n->meta, error))
			return FALSE;
		break;
	case ESIM_TAG_COMPACT_PIR:
		if (!parse_compact_pir (tlv, &n->meta, error))
			return FALSE;
		break;
	default:
		return TRUE;
	}
	n->raw = esim_tlv_dup_raw (tlv);
	*out = g_steal_pointer (&n);
	return TRUE;
}

static gboolean
parse_pending_notifications (const EsimTlv *list, GPtrArray *out, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	esim_tlv_iter_init (&iter, list);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		EsimPendingNotification *n = NULL;
		if (!parse_pending_notification (&child, &n, error)) {
			g_prefix_error (error, "PendingNotification %02X: ", child.tag);
			return FALSE;
		}
		if (n != NULL)
			g_ptr_array_add (out, n);
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	return TRUE;
}

static gboolean
parse_package_results (const EsimTlv *list, GPtrArray *out, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv child;

	esim_tlv_iter_init (&iter, list);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (child.tag == ESIM_TAG_LOAD_EUICC_PACKAGE)
			g_ptr_array_add (out, esim_tlv_dup_raw (&child));
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	return TRUE;
}

EsimNotificationList *
esim_es10_parse_retrieve_notifications_list (GBytes *response, GError **error)
{
	g_autoptr(EsimNotificationList) list = g_new0 (EsimNotificationList, 1);
	EsimTlv outer;
	EsimTlv choice;

	list->notifications =
		g_ptr_array_new_with_free_func ((GDestroyNotify) esim_pending_notification_free);
	list->package_results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

	if (!parse_response (response, ESIM_TAG_RETRIEVE_NOTIFICATIONS, &outer, error) ||
	    !parse_choice (&outer, &choice, error))
		return fail_null (error, "RetrieveNotificationsList");
	switch (choice.tag) {
	case ESIM_TAG_LIST_OK:
		if (!parse_pending_notifications (&choice, list->notifications, error))
			return fail_null (error, "RetrieveNotificationsList");
		break;
	case ESIM_TAG_EUICC_PACKAGE_RESULT_LIST:
		if (!parse_package_results (&choice, list->package_results, error))
			return fail_null (error, "RetrieveNotificationsList");
		break;
	case ESIM_TAG_LIST_ERROR:
		set_choice_error (&choice, undefined_only_results, error);
		return fail_null (error, "RetrieveNotificationsList");
	default:
		unexpected_tag (&choice, "RetrieveNotificationsListResponse", error);
		return fail_null (error, "RetrieveNotificationsList");
	}
	return g_steal_pointer (&list);
}

GPtrArray *
esim_es10_parse_list_notification (GBytes *response, GError **error)
{
	g_autoptr(GPtrArray) metas = NULL;
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv choice;
	EsimTlv child;

	if (!parse_response (response, ESIM_TAG_LIST_NOTIFICATION, &outer, error) ||
	    !parse_choice (&outer, &choice, error))
		return fail_null (error, "ListNotification");
	if (choice.tag == ESIM_TAG_LIST_ERROR) {
		set_choice_error (&choice, undefined_only_results, error);
		return fail_null (error, "ListNotification");
	}
	if (choice.tag != ESIM_TAG_LIST_OK) {
		unexpected_tag (&choice, "ListNotificationResponse", error);
		return fail_null (error, "ListNotification");
	}

	metas = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_notification_metadata_free);
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		g_autoptr(EsimNotificationMetadata) meta = NULL;
		if (child.tag != ESIM_TAG_NOTIFICATION_METADATA)
			continue;
		meta = g_new0 (EsimNotificationMetadata, 1);
		if (!parse_notification_metadata (&child, meta, error))
			return fail_null (error, "ListNotification");
		g_ptr_array_add (metas, g_steal_pointer (&meta));
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "ListNotification");
	}
	return g_steal_pointer (&metas);
}

gboolean
esim_es10_parse_remove_notification (GBytes *response, GError **error)
{
	return parse_simple_result ("RemoveNotificationFromList", response,
				    ESIM_TAG_REMOVE_NOTIFICATION,
				    notification_sent_results, error);
}

/* ---- addresses ---- */

EsimConfiguredAddresses *
esim_es10_parse_get_configured_addresses (GBytes *response, GError **error)
{
	g_autoptr(EsimConfiguredAddresses) addresses = g_new0 (EsimConfiguredAddresses, 1);
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv child;

	if (!parse_response (response, ESIM_TAG_GET_CONFIGURED_ADDRESSES, &outer, error))
		return fail_null (error, "GetEuiccConfiguredAddresses");
	esim_tlv_iter_init (&iter, &outer);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		gboolean ok = TRUE;
		if (child.tag == ESIM_TAG_DEFAULT_DP_ADDRESS)
			ok = take_string (&addresses->default_dp_address,
					  esim_tlv_dup_utf8 (&child, error));
		else if (child.tag == ESIM_TAG_ROOT_DS_ADDRESS)
			ok = take_string (&addresses->root_ds_address,
					  esim_tlv_dup_utf8 (&child, error));
		if (!ok)
			return fail_null (error, "GetEuiccConfiguredAddresses");
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "GetEuiccConfiguredAddresses");
	}
	return g_steal_pointer (&addresses);
}

gboolean
esim_es10_parse_set_default_dp_address (EsimEs10Variant variant, GBytes *response,
					GError **error)
{
	return parse_simple_result ("SetDefaultDpAddress", response,
				    variant == ESIM_ES10_VARIANT_SGP22 ?
				    ESIM_TAG_SET_DEFAULT_DP_SGP22 : ESIM_TAG_SET_DEFAULT_DP_SGP32,
				    undefined_only_results, error);
}

/* ---- GetRAT ---- */

/* ProfilePolicyAuthorisationRule: 30 { 80 pprIds, A1 { 30 OperatorId… }, 82 pprFlags } */
static gboolean
parse_rat_rule (const EsimTlv *tlv, EsimRatRule *rule, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv item;
	EsimTlv operators;
	EsimTlv op;

	if (!find_required (tlv, ESIM_TAG_PPR_IDS, "pprIds", &item, error) ||
	    !esim_tlv_get_named_bits (&item, 32, &rule->ppr_ids, error))
		return FALSE;
	if (!find_required (tlv, ESIM_TAG_PPR_FLAGS, "pprFlags", &item, error) ||
	    !esim_tlv_get_named_bits (&item, 32, &rule->ppr_flags, error))
		return FALSE;
	if (!find_required (tlv, ESIM_TAG_ALLOWED_OPERATORS, "allowedOperators", &operators, error))
		return FALSE;
	esim_tlv_iter_init (&iter, &operators);
	while (esim_tlv_iter_next (&iter, &op, &error_local))
		rule->n_allowed_operators++;
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return FALSE;
	}
	return TRUE;
}

GArray *
esim_es10_parse_get_rat (GBytes *response, GError **error)
{
	g_autoptr(GArray) rules = g_array_new (FALSE, TRUE, sizeof (EsimRatRule));
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv rat;
	EsimTlv child;

	/* GetRatResponse { rat [0] RulesAuthorisationTable }: BF43 { A0 { 30… } } */
	if (!parse_response (response, ESIM_TAG_GET_RAT, &outer, error) ||
	    !find_required (&outer, ESIM_TAG_RAT, "rat", &rat, error))
		return fail_null (error, "GetRAT");
	esim_tlv_iter_init (&iter, &rat);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		EsimRatRule rule = { 0 };
		if (child.tag != ESIM_TAG_SEQUENCE)
			continue;
		if (!parse_rat_rule (&child, &rule, error)) {
			g_prefix_error (error, "ProfilePolicyAuthorisationRule: ");
			return fail_null (error, "GetRAT");
		}
		g_array_append_val (rules, rule);
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "GetRAT");
	}
	return g_steal_pointer (&rules);
}

/* ---- GetCerts ---- */

/* eumCertificate [5] / euiccCertificate [6] are implicitly tagged, so A5/A6
 * replaced the certificate's own SEQUENCE tag: rebuild the 30 TLV.  An
 * explicit A5 { 30 … } form is accepted too. */
static GBytes *
certificate_from_tagged (const EsimTlv *tlv, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv inner;
	guint n_elements = 0;

	if (esim_tlv_parse_exact (tlv->value, tlv->len, &inner, NULL) &&
	    inner.tag == ESIM_TAG_SEQUENCE)
		return esim_tlv_dup_raw (&inner);

	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &inner, &error_local))
		n_elements++;
	if (error_local != NULL) {
		g_propagate_prefixed_error (error, g_steal_pointer (&error_local),
					    "certificate %02X: ", tlv->tag);
		return NULL;
	}
	if (n_elements != 3) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "certificate %02X has %u elements, expected 3", tlv->tag, n_elements);
		return NULL;
	}
	writer = esim_der_writer_new ();
	esim_der_writer_put (writer, ESIM_TAG_SEQUENCE, tlv->value, tlv->len);
	return esim_der_writer_finish (writer);
}

EsimCerts *
esim_es10_parse_get_certs (GBytes *response, GError **error)
{
	g_autoptr(EsimCerts) certs = g_new0 (EsimCerts, 1);
	EsimTlv outer;
	EsimTlv choice;
	EsimTlv cert;

	if (!parse_response (response, ESIM_TAG_GET_CERTS, &outer, error) ||
	    !parse_choice (&outer, &choice, error))
		return fail_null (error, "GetCerts");
	if (choice.tag == ESIM_TAG_LIST_ERROR) {
		set_choice_error (&choice, get_certs_results, error);
		return fail_null (error, "GetCerts");
	}
	if (choice.tag != ESIM_TAG_LIST_OK) {
		unexpected_tag (&choice, "GetCertsResponse", error);
		return fail_null (error, "GetCerts");
	}
	if (!find_required (&choice, ESIM_TAG_EUM_CERTIFICATE, "eumCertificate", &cert, error))
		return fail_null (error, "GetCerts");
	certs->eum_certificate = certificate_from_tagged (&cert, error);
	if (certs->eum_certificate == NULL)
		return fail_null (error, "GetCerts");
	if (!find_required (&choice, ESIM_TAG_EUICC_CERTIFICATE, "euiccCertificate", &cert, error))
		return fail_null (error, "GetCerts");
	certs->euicc_certificate = certificate_from_tagged (&cert, error);
	if (certs->euicc_certificate == NULL)
		return fail_null (error, "GetCerts");
	return g_steal_pointer (&certs);
}

/* ---- eIM configuration ---- */

/* The members an implicitly retagged SubjectPublicKeyInfo (30 algorithm, 03
 * subjectPublicKey) or Certificate (30 tbsCertificate, 30 signatureAlgorithm,
 * 03 signatureValue) has. */
static gboolean
eim_key_members_are (const EsimTlv *tlv, const EsimTag *tags, guint n_tags)
{
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv child;
	guint n = 0;

	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		if (n == n_tags || child.tag != tags[n])
			return FALSE;
		n++;
	}
	return error == NULL && n == n_tags;
}

/*
 * eimPublicKeyData [5] / trustedPublicKeyDataTls [6] CHOICE { [0]
 * SubjectPublicKeyInfo, [1] Certificate }: the CHOICE's [5] is explicit, the
 * alternatives' automatic tags are implicit, so A5 { A0 <SPKI contents> } or
 * A5 { A1 <Certificate contents> } (asn1c, digest §4; V16 from onomondo-ipa;
 * production eIMs and a vendor IPA read it so: digest "Fourth pass").  A bare
 * 30 under A5, which a vendor implementation refused, and an alternative that
 * wraps a whole SEQUENCE instead of replacing its tag, are refused here too.
 */
static gboolean
parse_eim_key_data (const EsimTlv *tlv, EsimEimKeyKind *kind, GBytes **der, GError **error)
{
	static const EsimTag spki_members[] = { ESIM_TAG_SEQUENCE, ESIM_TAG_BIT_STRING };
	static const EsimTag cert_members[] = {
		ESIM_TAG_SEQUENCE, ESIM_TAG_SEQUENCE, ESIM_TAG_BIT_STRING,
	};
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv choice;
	gboolean is_key;

	if (!tlv->constructed || !esim_tlv_parse_exact (tlv->value, tlv->len, &choice, error))
		return FALSE;
	if (choice.tag != ESIM_TAG_EIM_KEY_SPKI && choice.tag != ESIM_TAG_EIM_KEY_CERTIFICATE) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
			     "holds %X, not A0 (public key) or A1 (certificate)", choice.tag);
		return FALSE;
	}
	is_key = choice.tag == ESIM_TAG_EIM_KEY_SPKI;
	if (!eim_key_members_are (&choice, is_key ? spki_members : cert_members,
				  is_key ? G_N_ELEMENTS (spki_members) : G_N_ELEMENTS (cert_members))) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "%X does not hold the members of a %s (the alternative's tag "
			     "replaces the SEQUENCE tag, it does not wrap it)", choice.tag,
			     is_key ? "SubjectPublicKeyInfo" : "Certificate");
		return FALSE;
	}
	esim_der_writer_put (writer, ESIM_TAG_SEQUENCE, choice.value, choice.len);
	g_clear_pointer (der, g_bytes_unref);
	*der = esim_der_writer_finish (writer);
	*kind = is_key ? ESIM_EIM_KEY_PUBLIC_KEY : ESIM_EIM_KEY_CERTIFICATE;
	return TRUE;
}

static gboolean
parse_eim_config_member (const EsimTlv *tlv, EsimEimConfig *config, GError **error)
{
	guint64 counter = 0;
	guint32 protocols = 0;

	switch (tlv->tag) {
	case ESIM_TAG_EIM_ID:
		return take_string (&config->eim_id, esim_tlv_dup_utf8 (tlv, error));
	case ESIM_TAG_EIM_FQDN:
		return take_string (&config->fqdn, esim_tlv_dup_utf8 (tlv, error));
	case ESIM_TAG_EIM_ID_TYPE:
		return get_small_int (tlv, &config->id_type, error);
	case ESIM_TAG_EIM_COUNTER_VALUE:
		if (!esim_tlv_get_uint (tlv, &counter, error))
			return FALSE;
		if (counter > G_MAXINT64) {
			g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
					     "counterValue too large");
			return FALSE;
		}
		config->counter_value = (gint64) counter;
		return TRUE;
	case ESIM_TAG_EIM_ASSOCIATION_TOKEN:
		config->has_association_token = TRUE;
		return esim_tlv_get_int (tlv, &config->association_token, error);
	case ESIM_TAG_EIM_PUBLIC_KEY_DATA:
		g_clear_pointer (&config->public_key_data, g_bytes_unref);
		config->public_key_data = esim_tlv_dup_raw (tlv);
		return parse_eim_key_data (tlv, &config->public_key_kind, &config->public_key, error);
	case ESIM_TAG_EIM_TRUSTED_TLS_DATA:
		g_clear_pointer (&config->trusted_tls_data, g_bytes_unref);
		config->trusted_tls_data = esim_tlv_dup_raw (tlv);
		return parse_eim_key_data (tlv, &config->trusted_tls_kind, &config->trusted_tls,
					   error);
	case ESIM_TAG_EIM_SUPPORTED_PROTOCOL:
		if (!esim_tlv_get_named_bits (tlv, 5, &protocols, error))
			return FALSE;
		config->supported_protocols = protocols;
		return TRUE;
	case ESIM_TAG_EIM_CI_PKID:
		return take_string (&config->euicc_ci_pkid, esim_hex_encode (tlv->value, tlv->len));
	case ESIM_TAG_EIM_INDIRECT_DOWNLOAD:
		config->indirect_profile_download = TRUE;
		return TRUE;
	default:
		return TRUE;
	}
}

EsimEimConfig *
esim_es10_parse_eim_config (const guint8 *data, gsize len, GError **error)
{
	g_autoptr(EsimEimConfig) config = g_new0 (EsimEimConfig, 1);
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv child;

	g_return_val_if_fail (data != NULL || len == 0, NULL);

	config->id_type = -1;
	config->counter_value = -1;
	if (len == 0) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
				     "EimConfigurationData: empty");
		return NULL;
	}
	if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_SEQUENCE, &outer, error))
		return fail_null (error, "EimConfigurationData");
	esim_tlv_iter_init (&iter, &outer);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (!parse_eim_config_member (&child, config, error)) {
			g_prefix_error (error, "%02X: ", child.tag);
			return fail_null (error, "EimConfigurationData");
		}
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "EimConfigurationData");
	}
	if (config->eim_id == NULL || config->eim_id[0] == '\0') {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
				     "eimId (80) missing or empty");
		return fail_null (error, "EimConfigurationData");
	}
	config->raw = esim_tlv_dup_raw (&outer);
	return g_steal_pointer (&config);
}

GPtrArray *
esim_es10_parse_get_eim_configuration_data (GBytes *response, GError **error)
{
	g_autoptr(GPtrArray) configs = NULL;
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv list;
	EsimTlv child;

	if (!parse_response (response, ESIM_TAG_GET_EIM_CONFIGURATION_DATA, &outer, error))
		return fail_null (error, "GetEimConfigurationData");
	configs = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_eim_config_free);

	/* a card without eIMs may leave the list out altogether */
	if (!esim_tlv_find (&outer, ESIM_TAG_EIM_CONFIGURATION_LIST, &list, &error_local)) {
		if (error_local != NULL) {
			g_propagate_error (error, g_steal_pointer (&error_local));
			return fail_null (error, "GetEimConfigurationData");
		}
		return g_steal_pointer (&configs);
	}
	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		EsimEimConfig *config;
		if (child.tag != ESIM_TAG_SEQUENCE)
			continue;
		config = esim_es10_parse_eim_config (child.raw, child.raw_len, error);
		if (config == NULL)
			return fail_null (error, "GetEimConfigurationData");
		g_ptr_array_add (configs, config);
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "GetEimConfigurationData");
	}
	return g_steal_pointer (&configs);
}

GArray *
esim_es10_parse_add_initial_eim (GBytes *response, GError **error)
{
	g_autoptr(GArray) results = g_array_new (FALSE, TRUE, sizeof (EsimAddEimResult));
	g_autoptr(GError) error_local = NULL;
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv choice;
	EsimTlv child;

	if (!parse_response (response, ESIM_TAG_ADD_INITIAL_EIM, &outer, error) ||
	    !parse_choice (&outer, &choice, error))
		return fail_null (error, "AddInitialEim");
	if (choice.tag == ESIM_TAG_LIST_ERROR) {
		set_choice_error (&choice, add_initial_eim_results, error);
		return fail_null (error, "AddInitialEim");
	}
	if (choice.tag != ESIM_TAG_LIST_OK) {
		unexpected_tag (&choice, "AddInitialEimResponse", error);
		return fail_null (error, "AddInitialEim");
	}

	/* one result per eIM: 84 associationToken or 05 00 addOk */
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		EsimAddEimResult result = { 0 };
		if (child.tag == ESIM_TAG_EIM_ASSOCIATION_TOKEN) {
			result.has_association_token = TRUE;
			if (!esim_tlv_get_int (&child, &result.association_token, error))
				return fail_null (error, "AddInitialEim");
		} else if (child.tag != ESIM_TAG_ADD_EIM_OK) {
			unexpected_tag (&child, "addInitialEimOk", error);
			return fail_null (error, "AddInitialEim");
		}
		g_array_append_val (results, result);
	}
	if (error_local != NULL) {
		g_propagate_error (error, g_steal_pointer (&error_local));
		return fail_null (error, "AddInitialEim");
	}
	return g_steal_pointer (&results);
}
