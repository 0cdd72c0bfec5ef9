/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card side of ES10a/b/c: one request TLV in, one response TLV out.
 *
 * Encodings follow RSPDefinitions (SGP.22 v2.5) and SGP32Definitions v1.2, both
 * AUTOMATIC TAGS modules: a SEQUENCE whose components carry no tag of their
 * own gets [0], [1]… (so results are 80), a CHOICE reached through a tag is
 * explicit (BF31 { A0 { 5A … } }), and a [n] on a SEQUENCE OF is constructed.
 *
 * Requests are parsed strictly, as real cards do (vectors.md V12): an unknown
 * or misplaced element is a malformed request.  A malformed request gets the
 * function's undefinedError (127) / commandError (7) result where the ASN.1
 * has an error result, else status word 6A80.  Requests for functions this
 * card does not implement also get 6A80.  The download's functions
 * (GetEuiccChallenge, AuthenticateServer, PrepareDownload, CancelSession, the
 * package's segments) are esim-veuicc-download.c and esim-veuicc-bpp.c; the
 * eIM's (AddInitialEim, GetEimConfigurationData, LoadEuiccPackage,
 * ProfileRollback, ImmediateEnable, ConfigureImmediateProfileEnabling) are
 * esim-veuicc-eim.c and esim-veuicc-package.c.  RetrieveNotificationsList
 * and RemoveNotificationFromList serve the signed EuiccPackageResults too.
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <string.h>

#include "esim-util.h"
#include "esim-veuicc-private.h"

#define RESULT_UNDEFINED_ERROR 127

typedef GBytes *(*Es10Handler) (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);

/* Collects the children of @parent; FALSE if malformed or more than @max. */
static gboolean
get_children (const EsimTlv *parent, EsimTlv *out, guint max, guint *n_out)
{
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv child;
	guint n = 0;

	if (!parent->constructed && parent->len > 0)
		return FALSE;
	esim_tlv_iter_init (&iter, parent);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		if (n == max)
			return FALSE;
		out[n++] = child;
	}
	*n_out = n;
	return error == NULL;
}

/* Exactly the children tagged @tags, in that order (optional ones handled by callers). */
static gboolean
get_exact_children (const EsimTlv *parent, EsimTlv *out, const EsimTag *tags, guint n_tags)
{
	guint n = 0;
	if (!get_children (parent, out, n_tags, &n) || n != n_tags)
		return FALSE;
	for (guint i = 0; i < n_tags; i++) {
		if (out[i].tag != tags[i])
			return FALSE;
	}
	return TRUE;
}

gboolean
veuicc_tlv_children (const EsimTlv *parent, EsimTlv *out, guint max, guint *n_out)
{
	return get_children (parent, out, max, n_out);
}

gboolean
veuicc_tlv_exact_children (const EsimTlv *parent, EsimTlv *out, const EsimTag *tags, guint n_tags)
{
	return get_exact_children (parent, out, tags, n_tags);
}

static GBytes *
ok_response (GBytes *response, guint16 *sw)
{
	*sw = ESIM_SW_OK;
	return response;
}

/* Where a response carries its result code (automatic tags) */
enum {
	RESULT_TAG = ESIM_TAG_RESULT,             /* TAG { 80 code }: the one component of most results */
	CHOICE_ERROR_TAG = ESIM_TAG_CHOICE_ERROR, /* TAG { 81 code }: the error arm of a CHOICE response */
};

static GBytes *
code_response (EsimTag tag, EsimTag code_tag, guint64 code, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, tag);
	esim_der_writer_put_uint (writer, code_tag, code);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

static GBytes *
fail_sw (guint16 code, guint16 *sw)
{
	*sw = code;
	return NULL;
}

/* Persists a change.  A failed write undoes it in memory too and answers 6581 (memory
 * failure), as a card whose NVM write fails; the caller must then return at once, since
 * the profiles, notifications and eIMs it holds pointers to were replaced. */
gboolean
veuicc_es10_commit (EsimVeuicc *self, guint16 *sw)
{
	g_autoptr(GError) error = NULL;
	if (!veuicc_state_commit (self, &error)) {
		g_warning ("change not made: %s", error->message);
		*sw = ESIM_SW_MEMORY_FAILURE;
		return FALSE;
	}
	return TRUE;
}


/* Queues the notification of a state change; without it the change still stands, as on a
 * card whose notification list cannot take it (a failed signature here is a broken key). */
void
veuicc_es10_notify (EsimVeuicc *self, VeuiccEvent event, const VeuiccProfile *profile)
{
	g_autoptr(GError) error = NULL;
	if (!veuicc_queue_notification (self, event, profile, &error))
		g_warning ("cannot queue notification: %s", error->message);
}

/* ---- ES10c GetEID, ES10b GetEUICCInfo1/2, GetEUICCChallenge ------------------------------ */

static GBytes *
handle_get_eid (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv children[1];
	guint8 eid[ESIM_EID_LENGTH];
	guint n = 0;

	/* tagList must be '5A'; an empty request is accepted as well */
	if (!get_children (request, children, 1, &n))
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	if (n == 1 && (children[0].tag != ESIM_TAG_TAG_LIST || children[0].len != 1 ||
	               children[0].value[0] != ESIM_TAG_EID))
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	if (!esim_eid_to_bytes (self->eid, eid, NULL))
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	esim_der_writer_begin (writer, ESIM_TAG_GET_EID);
	esim_der_writer_put (writer, ESIM_TAG_EID, eid, sizeof (eid));
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* The key IDs of the CIs the card trusts, for verification and for signing alike:
 * its credentials' CIs (one certificate chain each way). */
static void
put_ci_list (EsimVeuicc *self, EsimDerWriter *writer, EsimTag tag)
{
	GPtrArray *pkids = veuicc_crypto_get_ci_pkids (self->crypto);

	esim_der_writer_begin (writer, tag);
	for (guint i = 0; i < pkids->len; i++)
		esim_der_writer_put_bytes (writer, ESIM_TAG_SUBJECT_KEY_ID, g_ptr_array_index (pkids, i));
	esim_der_writer_end (writer);
}

static void
put_ci_lists (EsimVeuicc *self, EsimDerWriter *writer)
{
	put_ci_list (self, writer, ESIM_TAG_INFO_CI_PKIDS_VERIFICATION);
	put_ci_list (self, writer, ESIM_TAG_INFO_CI_PKIDS_SIGNING);
}

static const guint8 version_svn[] = { 0x02, 0x05, 0x00 };       /* SGP.22 v2.5.0 */
static const guint8 version_profile[] = { 0x02, 0x03, 0x01 };   /* TCA eUICC profile package v2.3.1 */
static const guint8 version_firmware[] = { 0x00, 0x01, 0x00 };
static const guint8 version_ts102241[] = { 0x0F, 0x01, 0x00 };
static const guint8 version_gp[] = { 0x02, 0x03, 0x00 };
static const guint8 version_pp[] = { 0x01, 0x00, 0x00 };
static const guint8 version_iot[] = { 0x01, 0x02, 0x00 };       /* SGP.32 v1.2.0 */

static GBytes *
handle_get_euicc_info1 (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	if (request->len != 0)
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	esim_der_writer_begin (writer, ESIM_TAG_GET_EUICC_INFO1);
	esim_der_writer_put (writer, ESIM_TAG_INFO_SVN, version_svn, sizeof (version_svn));
	put_ci_lists (self, writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ETSI TS 102 226 extended card resource: 81 installed applications, 82 free NVM, 83 free RAM */
static void
put_ext_card_resource (EsimVeuicc *self, EsimDerWriter *writer)
{
	/* room for max_profiles profiles of VEUICC_NVM_PER_PROFILE each */
	guint n_free = self->max_profiles > self->profiles->len ? self->max_profiles - self->profiles->len : 0;
	guint32 free_nvm = n_free * VEUICC_NVM_PER_PROFILE;
	guint8 value[] = {
		ESIM_TAG_ECR_INSTALLED_APPLICATIONS, 0x01, (guint8) self->profiles->len,
		ESIM_TAG_ECR_FREE_NVM, 0x04, (guint8) (free_nvm >> 24), (guint8) (free_nvm >> 16),
		(guint8) (free_nvm >> 8), (guint8) free_nvm,
		ESIM_TAG_ECR_FREE_VOLATILE, 0x04, 0x00, 0x00, 0x20, 0x00,
	};
	esim_der_writer_put (writer, ESIM_TAG_INFO2_EXT_CARD_RESOURCE, value, sizeof (value));
}

GBytes *
veuicc_es10_euicc_info2 (EsimVeuicc *self)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	/* usim, isim, milenage, tuak128, gbaAuthenUsim, javacard, multipleUsim, berTlvFiles,
	 * getIdentity, profile-a-x25519, profile-b-p256, suciCalculatorApi */
	guint32 uicc_capability = (1u << 1) | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 10) |
	                          (1u << 14) | (1u << 16) | (1u << 19) | (1u << 22) | (1u << 23) |
	                          (1u << 24) | (1u << 25);
	const guint8 min_security_level = 0x01;

	/* SGP32Definitions v1.2 EUICCInfo2, components in definition order */
	esim_der_writer_begin (writer, ESIM_TAG_GET_EUICC_INFO2);
	esim_der_writer_put (writer, ESIM_TAG_INFO2_PROFILE_VERSION, version_profile, sizeof (version_profile));
	esim_der_writer_put (writer, ESIM_TAG_INFO_SVN, version_svn, sizeof (version_svn));
	esim_der_writer_put (writer, ESIM_TAG_INFO2_FIRMWARE_VERSION, version_firmware, sizeof (version_firmware));
	put_ext_card_resource (self, writer);
	esim_der_writer_put_named_bits (writer, ESIM_TAG_INFO2_UICC_CAPABILITY, uicc_capability);
	esim_der_writer_put (writer, ESIM_TAG_INFO2_TS102241_VERSION, version_ts102241,
	                     sizeof (version_ts102241));
	esim_der_writer_put (writer, ESIM_TAG_INFO2_GP_VERSION, version_gp, sizeof (version_gp));
	/* rspCapability: additionalProfile(0), testProfileSupport(3) */
	esim_der_writer_put_named_bits (writer, ESIM_TAG_INFO2_RSP_CAPABILITY, (1u << 0) | (1u << 3));
	put_ci_lists (self, writer);
	/* forbiddenProfilePolicyRules [25]: ppr1 (disabling not allowed) is refused */
	esim_der_writer_put_named_bits (writer, ESIM_TAG_INFO2_FORBIDDEN_PPR, VEUICC_FORBIDDEN_PPRS);
	esim_der_writer_put (writer, ESIM_TAG_INFO2_PP_VERSION, version_pp, sizeof (version_pp));
	esim_der_writer_put_utf8 (writer, ESIM_TAG_INFO2_SAS_ACCREDITATION, "ESIMD-VIRTUAL-EUICC");
	esim_der_writer_put_uint (writer, ESIM_TAG_INFO2_IPA_MODE, 0); /* ipad */
	esim_der_writer_begin (writer, ESIM_TAG_INFO2_IOT_SPECIFIC_INFO);
	esim_der_writer_begin (writer, ESIM_TAG_IOT_VERSIONS); /* SEQUENCE OF VersionType */
	esim_der_writer_put (writer, ESIM_TAG_OCTET_STRING, version_iot, sizeof (version_iot));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_put (writer, ESIM_TAG_INFO2_MIN_SECURITY_LEVEL, &min_security_level, 1);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static GBytes *
handle_get_euicc_info2 (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	if (request->len != 0)
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	return ok_response (veuicc_es10_euicc_info2 (self), sw);
}


/* ---- ES10c GetProfilesInfo ---------------------------------------------------------------- */

enum {
	FIELD_ICCID = 1 << 0,
	FIELD_AID = 1 << 1,
	FIELD_STATE = 1 << 2,
	FIELD_NICKNAME = 1 << 3,
	FIELD_PROVIDER = 1 << 4,
	FIELD_NAME = 1 << 5,
	FIELD_CLASS = 1 << 6,
	FIELD_ALL = 0x7F,         /* GetProfilesInfo's default */
	FIELD_FALLBACK_ATTRIBUTE = 1 << 7,  /* SGP.32 9F26 */
	FIELD_FALLBACK_ALLOWED = 1 << 8,    /* SGP.32 9F67 */
	/* the listProfileInfo PSMO's default (SGP.32 §2.11.1.1.3: 5A 4F 9F70 91 92 95 9F7B
	 * 9F26 9F67; this card holds no ecallIndication) */
	FIELD_IOT_DEFAULT = (FIELD_ALL & ~FIELD_NICKNAME) | FIELD_FALLBACK_ATTRIBUTE |
	                    FIELD_FALLBACK_ALLOWED,
};

static const struct {
	EsimTag tag;
	guint   field;
} profile_fields[] = {
	{ ESIM_TAG_ICCID, FIELD_ICCID }, { ESIM_TAG_ISDP_AID, FIELD_AID },
	{ ESIM_TAG_PROFILE_STATE, FIELD_STATE }, { ESIM_TAG_PROFILE_NICKNAME, FIELD_NICKNAME },
	{ ESIM_TAG_PROFILE_SERVICE_PROVIDER, FIELD_PROVIDER }, { ESIM_TAG_PROFILE_NAME, FIELD_NAME },
	{ ESIM_TAG_PROFILE_CLASS, FIELD_CLASS },
	{ ESIM_TAG_PROFILE_FALLBACK_ATTRIBUTE, FIELD_FALLBACK_ATTRIBUTE },
	{ ESIM_TAG_PROFILE_FALLBACK_ALLOWED, FIELD_FALLBACK_ALLOWED },
};

/* tagList: concatenated BER tags; fields we do not hold are simply left out. */
static gboolean
parse_tag_list (const guint8 *data, gsize len, guint *fields)
{
	gsize pos = 0;
	*fields = 0;
	while (pos < len) {
		EsimTag tag = data[pos++];
		if ((tag & 0x1F) == 0x1F) {
			guint n = 1;
			do {
				if (pos >= len || n == 4)
					return FALSE;
				tag = (tag << 8) | data[pos];
				n++;
			} while (data[pos++] & 0x80);
		}
		for (guint i = 0; i < G_N_ELEMENTS (profile_fields); i++) {
			if (profile_fields[i].tag == tag)
				*fields |= profile_fields[i].field;
		}
	}
	return TRUE;
}

typedef struct {
	EsimTag       kind;   /* 0 = no criteria, isdpAid, iccid or profileClass */
	const guint8 *value;
	gsize         len;
	guint64       klass;
} SearchCriteria;

static gboolean
profile_matches (const VeuiccProfile *profile, const SearchCriteria *criteria)
{
	switch (criteria->kind) {
	case ESIM_TAG_ISDP_AID:
		return criteria->len == 16 && memcmp (profile->aid, criteria->value, 16) == 0;
	case ESIM_TAG_ICCID:
		return memcmp (profile->iccid_bcd, criteria->value, ESIM_ICCID_LENGTH) == 0;
	case ESIM_TAG_PROFILE_CLASS:
		return (guint64) profile->klass == criteria->klass;
	default:
		return TRUE;
	}
}

static void
put_profile_info (EsimDerWriter *writer, const VeuiccProfile *profile, guint fields)
{
	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_INFO);
	if (fields & FIELD_ICCID)
		esim_der_writer_put (writer, ESIM_TAG_ICCID, profile->iccid_bcd, ESIM_ICCID_LENGTH);
	if (fields & FIELD_AID)
		esim_der_writer_put (writer, ESIM_TAG_ISDP_AID, profile->aid, 16);
	if (fields & FIELD_STATE)
		esim_der_writer_put_uint (writer, ESIM_TAG_PROFILE_STATE, profile->enabled ? 1 : 0);
	if ((fields & FIELD_NICKNAME) && profile->nickname != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_PROFILE_NICKNAME, profile->nickname);
	if (fields & FIELD_PROVIDER)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_PROFILE_SERVICE_PROVIDER, profile->provider);
	if (fields & FIELD_NAME)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_PROFILE_NAME, profile->name);
	if (fields & FIELD_CLASS)
		esim_der_writer_put_uint (writer, ESIM_TAG_PROFILE_CLASS, profile->klass);
	/* SGP.32 ProfileInfo: 9F26 is DEFAULT FALSE, and 9F67 absent reads as not allowed */
	if ((fields & FIELD_FALLBACK_ATTRIBUTE) && profile->fallback_attribute)
		esim_der_writer_put_bool (writer, ESIM_TAG_PROFILE_FALLBACK_ATTRIBUTE, TRUE);
	if ((fields & FIELD_FALLBACK_ALLOWED) && profile->fallback_allowed)
		esim_der_writer_put_bool (writer, ESIM_TAG_PROFILE_FALLBACK_ALLOWED, TRUE);
	esim_der_writer_end (writer);
}

/* searchCriteria [0] CHOICE (explicit): exactly one of 4F, 5A, 95. */
static gboolean
parse_search_criteria (const EsimTlv *tlv, SearchCriteria *criteria)
{
	EsimTlv inner[1];
	guint n = 0;
	if (!tlv->constructed || !get_children (tlv, inner, 1, &n) || n != 1)
		return FALSE;
	criteria->kind = inner[0].tag;
	criteria->value = inner[0].value;
	criteria->len = inner[0].len;
	switch (inner[0].tag) {
	case ESIM_TAG_ISDP_AID:
		return inner[0].len >= 1 && inner[0].len <= 16;
	case ESIM_TAG_ICCID:
		return inner[0].len == ESIM_ICCID_LENGTH;
	case ESIM_TAG_PROFILE_CLASS:
		return esim_tlv_get_uint (&inner[0], &criteria->klass, NULL) && criteria->klass <= 2;
	default:
		return FALSE;
	}
}

GBytes *
veuicc_es10_profile_info_list (EsimVeuicc *self, const EsimTlv *request, gboolean iot_defaults)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	SearchCriteria criteria = { 0 };
	guint fields = iot_defaults ? FIELD_IOT_DEFAULT : FIELD_ALL;
	EsimTlv children[2];
	guint n = 0, idx = 0;
	guint16 sw = 0;

	if (!get_children (request, children, 2, &n))
		return code_response (ESIM_TAG_GET_PROFILES_INFO, CHOICE_ERROR_TAG, RESULT_UNDEFINED_ERROR, &sw);
	if (idx < n && children[idx].tag == ESIM_TAG_PROFILE_SEARCH_CRITERIA) {
		if (!parse_search_criteria (&children[idx], &criteria))
			return code_response (ESIM_TAG_GET_PROFILES_INFO, CHOICE_ERROR_TAG, 1, &sw); /* incorrectInputValues */
		idx++;
	}
	if (idx < n && children[idx].tag == ESIM_TAG_TAG_LIST) {
		if (!parse_tag_list (children[idx].value, children[idx].len, &fields))
			return code_response (ESIM_TAG_GET_PROFILES_INFO, CHOICE_ERROR_TAG, 1, &sw);
		idx++;
	}
	if (idx != n)
		return code_response (ESIM_TAG_GET_PROFILES_INFO, CHOICE_ERROR_TAG, RESULT_UNDEFINED_ERROR, &sw);

	esim_der_writer_begin (writer, ESIM_TAG_GET_PROFILES_INFO);
	esim_der_writer_begin (writer, ESIM_TAG_CHOICE_OK_LIST); /* profileInfoListOk */
	for (guint i = 0; i < self->profiles->len; i++) {
		VeuiccProfile *profile = g_ptr_array_index (self->profiles, i);
		if (profile_matches (profile, &criteria))
			put_profile_info (writer, profile, fields);
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static GBytes *
handle_get_profiles_info (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	return ok_response (veuicc_es10_profile_info_list (self, request, FALSE), sw);
}

/* ---- ES10c Enable/Disable/DeleteProfile, SetNickname, eUICCMemoryReset -------------------- */

/* profileIdentifier CHOICE { 4F isdpAid, 5A iccid }; NULL when well-formed but unknown. */
static gboolean
find_profile (EsimVeuicc *self, const EsimTlv *id, VeuiccProfile **out)
{
	*out = NULL;
	if (id->tag == ESIM_TAG_ICCID) {
		if (id->len != ESIM_ICCID_LENGTH)
			return FALSE;
		*out = veuicc_find_profile_by_iccid_bcd (self, id->value, id->len);
		return TRUE;
	}
	if (id->tag == ESIM_TAG_ISDP_AID) {
		if (id->len < 1 || id->len > 16)
			return FALSE;
		*out = veuicc_find_profile_by_aid (self, id->value, id->len);
		return TRUE;
	}
	return FALSE;
}

/* BF31/BF32 { A0 { 4F | 5A }, 81 refreshFlag } */
static gboolean
parse_switch_request (EsimVeuicc *self, const EsimTlv *request, VeuiccProfile **profile)
{
	static const EsimTag tags[] = { ESIM_TAG_SWITCH_PROFILE_IDENTIFIER, ESIM_TAG_SWITCH_REFRESH_FLAG };
	EsimTlv children[2];
	EsimTlv id[1];
	gboolean refresh = FALSE;
	guint n = 0;

	if (!get_exact_children (request, children, tags, G_N_ELEMENTS (tags)))
		return FALSE;
	if (!children[0].constructed || !get_children (&children[0], id, 1, &n) || n != 1)
		return FALSE;
	/* the card has no modem to REFRESH; the flag is only validated */
	if (!esim_tlv_get_bool (&children[1], &refresh, NULL))
		return FALSE;
	return find_profile (self, &id[0], profile);
}

/* EnableProfile (BF31) and DisableProfile (BF32): same request, results 0, 1, 2 and 127. */
static GBytes *
handle_profile_switch (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	gboolean enable = request->tag == ESIM_TAG_ENABLE_PROFILE;
	VeuiccProfile *profile = NULL;

	if (!parse_switch_request (self, request, &profile))
		return code_response (request->tag, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	if (profile == NULL)
		return code_response (request->tag, RESULT_TAG, 1, sw); /* iccidOrAidNotFound */
	/* profileNotInDisabledState / profileNotInEnabledState */
	if (profile->enabled == enable)
		return code_response (request->tag, RESULT_TAG, 2, sw);
	if (enable) {
		VeuiccProfile *old = veuicc_find_enabled_profile (self);
		/* as a card does: the implicit disable of the old profile is notified first */
		if (old != NULL) {
			old->enabled = FALSE;
			veuicc_es10_notify (self, VEUICC_EVENT_DISABLE, old);
		}
	}
	profile->enabled = enable;
	veuicc_es10_notify (self, enable ? VEUICC_EVENT_ENABLE : VEUICC_EVENT_DISABLE, profile);
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return code_response (request->tag, RESULT_TAG, 0, sw);
}

/* DeleteProfileRequest ::= [51] CHOICE { isdpAid, iccid }: BF33 { 5A … } with no wrapper */
static GBytes *
handle_delete_profile (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	VeuiccProfile *profile = NULL;
	EsimTlv id[1];
	guint n = 0;

	if (!get_children (request, id, 1, &n) || n != 1 || !find_profile (self, &id[0], &profile))
		return code_response (ESIM_TAG_DELETE_PROFILE, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	if (profile == NULL)
		return code_response (ESIM_TAG_DELETE_PROFILE, RESULT_TAG, 1, sw); /* iccidOrAidNotFound */
	if (profile->enabled)
		return code_response (ESIM_TAG_DELETE_PROFILE, RESULT_TAG, 2, sw); /* profileNotInDisabledState */
	veuicc_es10_notify (self, VEUICC_EVENT_DELETE, profile);
	g_ptr_array_remove (self->profiles, profile);
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return code_response (ESIM_TAG_DELETE_PROFILE, RESULT_TAG, 0, sw);
}

static GBytes *
handle_set_nickname (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	static const EsimTag tags[] = { ESIM_TAG_ICCID, ESIM_TAG_PROFILE_NICKNAME };
	EsimTlv children[2];
	VeuiccProfile *profile;
	gchar *nickname;

	if (!get_exact_children (request, children, tags, G_N_ELEMENTS (tags)) ||
	    children[0].len != ESIM_ICCID_LENGTH || children[1].len > ESIM_NICKNAME_MAX_LENGTH)
		return code_response (ESIM_TAG_SET_NICKNAME, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	nickname = esim_tlv_dup_utf8 (&children[1], NULL);
	if (nickname == NULL)
		return code_response (ESIM_TAG_SET_NICKNAME, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	profile = veuicc_find_profile_by_iccid_bcd (self, children[0].value, children[0].len);
	if (profile == NULL) {
		g_free (nickname);
		return code_response (ESIM_TAG_SET_NICKNAME, RESULT_TAG, 1, sw); /* iccidNotFound */
	}
	g_free (profile->nickname);
	profile->nickname = NULL;
	/* an empty nickname clears it */
	if (nickname[0] != '\0')
		profile->nickname = nickname;
	else
		g_free (nickname);
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return code_response (ESIM_TAG_SET_NICKNAME, RESULT_TAG, 0, sw);
}

/* resetOptions named bits (SGP.32 v1.2; SGP.22 BF34 has only 0–2) */
enum {
	RESET_OPERATIONAL = 1 << 0,
	RESET_FIELD_LOADED_TEST = 1 << 1,
	RESET_DEFAULT_SMDP = 1 << 2,
	RESET_PRELOADED_TEST = 1 << 3,
	RESET_PROVISIONING = 1 << 4,
	RESET_EIM_CONFIG = 1 << 5,
	RESET_IMMEDIATE_ENABLE = 1 << 6,
};

static gboolean
reset_deletes (const VeuiccProfile *profile, guint options)
{
	switch (profile->klass) {
	case VEUICC_CLASS_OPERATIONAL:
		return (options & RESET_OPERATIONAL) != 0;
	case VEUICC_CLASS_PROVISIONING:
		return (options & RESET_PROVISIONING) != 0;
	case VEUICC_CLASS_TEST:
		return (options & (profile->preloaded ? RESET_PRELOADED_TEST : RESET_FIELD_LOADED_TEST)) != 0;
	default:
		return FALSE;
	}
}

/* Memory reset removes state without notifications: there is nobody left to tell. */
static GBytes *
handle_memory_reset (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	static const EsimTag tags[] = { ESIM_TAG_RESET_OPTIONS };
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	gboolean sgp32 = request->tag == ESIM_TAG_MEMORY_RESET_SGP32;
	gboolean changed = FALSE;
	gboolean eims_deleted = FALSE;
	EsimTlv children[1];
	guint32 options = 0;

	/* BF34 knows bits 0–2 only */
	if (!get_exact_children (request, children, tags, 1) ||
	    !esim_tlv_get_named_bits (&children[0], sgp32 ? 7 : 3, &options, NULL))
		return code_response (request->tag, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	for (guint i = self->profiles->len; i > 0; i--) {
		VeuiccProfile *profile = g_ptr_array_index (self->profiles, i - 1);
		if (reset_deletes (profile, options)) {
			g_ptr_array_remove_index (self->profiles, i - 1);
			changed = TRUE;
		}
	}
	if ((options & RESET_DEFAULT_SMDP) && self->default_dp_address != NULL) {
		g_clear_pointer (&self->default_dp_address, g_free);
		changed = TRUE;
	}
	if ((options & RESET_EIM_CONFIG) && self->eims->len > 0) {
		g_ptr_array_set_size (self->eims, 0);
		eims_deleted = changed = TRUE;
	}
	if ((options & RESET_IMMEDIATE_ENABLE) &&
	    (self->immediate_enable || self->immediate_enable_smdp_oid != NULL ||
	     self->immediate_enable_smdp_address != NULL)) {
		self->immediate_enable = FALSE;
		g_clear_pointer (&self->immediate_enable_smdp_oid, g_bytes_unref);
		g_clear_pointer (&self->immediate_enable_smdp_address, g_free);
		changed = TRUE;
	}
	if (changed && !veuicc_es10_commit (self, sw))
		return NULL;

	esim_der_writer_begin (writer, request->tag);
	esim_der_writer_put_uint (writer, ESIM_TAG_RESULT, changed ? 0 : 1); /* ok / nothingToDelete */
	if (options & RESET_EIM_CONFIG)
		esim_der_writer_put_uint (writer, ESIM_TAG_RESET_EIM_RESULT, eims_deleted ? 0 : 1);
	/* the immediate-enable configuration is at its default now, if it was not before */
	if (options & RESET_IMMEDIATE_ENABLE)
		esim_der_writer_put_uint (writer, ESIM_TAG_RESET_IMMEDIATE_ENABLE_RESULT, 0);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- ES10b notifications ------------------------------------------------------------------ */

/* PendingNotification: the install's ProfileInstallationResult as it was signed, or
 * OtherSignedNotification { tbsOtherNotification, euiccNotificationSignature,
 * euiccCertificate, eumCertificate } (SGP.22 RSPDefinitions). */
static void
put_other_signed_notification (EsimVeuicc *self, EsimDerWriter *writer,
                               const VeuiccNotification *notification)
{
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GBytes) euicc_cert = NULL;
	g_autoptr(GBytes) eum_cert = NULL;

	if (notification->pir != NULL) {
		esim_der_writer_put_raw (writer, g_bytes_get_data (notification->pir, NULL),
		                         g_bytes_get_size (notification->pir));
		return;
	}
	tbs = veuicc_notification_metadata (notification);
	euicc_cert = veuicc_crypto_get_euicc_certificate (self->crypto);
	eum_cert = veuicc_crypto_get_eum_certificate (self->crypto);
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_raw (writer, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs));
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, notification->signature, ESIM_SIGNATURE_LENGTH);
	esim_der_writer_put_raw (writer, g_bytes_get_data (euicc_cert, NULL), g_bytes_get_size (euicc_cert));
	esim_der_writer_put_raw (writer, g_bytes_get_data (eum_cert, NULL), g_bytes_get_size (eum_cert));
	esim_der_writer_end (writer);
}

static GBytes *
handle_list_notification (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	guint32 mask = 0xF;
	EsimTlv children[1];
	guint n = 0;

	if (!get_children (request, children, 1, &n) ||
	    (n == 1 && (children[0].tag != ESIM_TAG_NOTIF_LIST_OPERATION ||
	                !esim_tlv_get_named_bits (&children[0], VEUICC_N_EVENTS, &mask, NULL))))
		return code_response (ESIM_TAG_LIST_NOTIFICATION, CHOICE_ERROR_TAG, RESULT_UNDEFINED_ERROR, sw);
	esim_der_writer_begin (writer, ESIM_TAG_LIST_NOTIFICATION);
	esim_der_writer_begin (writer, ESIM_TAG_CHOICE_OK_LIST); /* notificationMetadataList */
	for (guint i = 0; i < self->notifications->len; i++) {
		VeuiccNotification *notification = g_ptr_array_index (self->notifications, i);
		if (mask & (1u << notification->event)) {
			g_autoptr(GBytes) tbs = veuicc_notification_metadata (notification);
			esim_der_writer_put_raw (writer, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs));
		}
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* Index of the stored EuiccPackageResult numbered @seq; -1 if none. */
static gint
find_package_result (EsimVeuicc *self, guint64 seq)
{
	for (guint i = 0; i < self->package_results->len; i++) {
		VeuiccPackageResult *result = g_ptr_array_index (self->package_results, i);
		if (result->seq == seq)
			return (gint) i;
	}
	return -1;
}

/* euiccPackageResultList (A2): the signed results not yet removed, as they were
 * returned (SGP.32 v1.2 RetrieveNotificationsListResponse) */
static GBytes *
package_result_list (EsimVeuicc *self, gboolean by_seq, guint64 seq, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_RETRIEVE_NOTIFICATIONS);
	esim_der_writer_begin (writer, ESIM_TAG_NOTIF_LIST_EPR);
	for (guint i = 0; i < self->package_results->len; i++) {
		VeuiccPackageResult *result = g_ptr_array_index (self->package_results, i);
		if (!by_seq || result->seq == seq)
			esim_der_writer_put_raw (writer, g_bytes_get_data (result->result, NULL),
			                         g_bytes_get_size (result->result));
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* BF2B { A0 { 80 seqNumber | 81 profileManagementOperation | 82 euiccPackageResults } OPT } */
static GBytes *
handle_retrieve_notifications (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv children[1];
	EsimTlv criteria[1];
	guint64 seq = 0;
	guint32 mask = 0xF;
	gboolean by_seq = FALSE;
	guint n = 0;

	if (!get_children (request, children, 1, &n))
		return code_response (ESIM_TAG_RETRIEVE_NOTIFICATIONS, CHOICE_ERROR_TAG, RESULT_UNDEFINED_ERROR, sw);
	if (n == 1) {
		guint n_criteria = 0;
		if (children[0].tag != ESIM_TAG_NOTIF_SEARCH_CRITERIA || !children[0].constructed ||
		    !get_children (&children[0], criteria, 1, &n_criteria) || n_criteria != 1)
			return code_response (ESIM_TAG_RETRIEVE_NOTIFICATIONS, CHOICE_ERROR_TAG,
			                      RESULT_UNDEFINED_ERROR, sw);
		if (criteria[0].tag == ESIM_TAG_NOTIF_SEARCH_SEQ_NUMBER &&
		    esim_tlv_get_uint (&criteria[0], &seq, NULL)) {
			by_seq = TRUE;
			/* the seqNumber of a stored EuiccPackageResult: that one, in its list */
			if (find_package_result (self, seq) >= 0)
				return package_result_list (self, TRUE, seq, sw);
		} else if (criteria[0].tag == ESIM_TAG_NOTIF_SEARCH_EPR && criteria[0].len == 0 &&
		           !criteria[0].constructed) {
			return package_result_list (self, FALSE, 0, sw);
		} else if (criteria[0].tag != ESIM_TAG_NOTIF_SEARCH_OPERATION ||
		           !esim_tlv_get_named_bits (&criteria[0], VEUICC_N_EVENTS, &mask, NULL)) {
			return code_response (ESIM_TAG_RETRIEVE_NOTIFICATIONS, CHOICE_ERROR_TAG,
			                      RESULT_UNDEFINED_ERROR, sw);
		}
	}
	esim_der_writer_begin (writer, ESIM_TAG_RETRIEVE_NOTIFICATIONS);
	esim_der_writer_begin (writer, ESIM_TAG_CHOICE_OK_LIST); /* notificationList */
	for (guint i = 0; i < self->notifications->len; i++) {
		VeuiccNotification *notification = g_ptr_array_index (self->notifications, i);
		if (by_seq ? notification->seq == seq : (mask & (1u << notification->event)) != 0)
			put_other_signed_notification (self, writer, notification);
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

static GBytes *
handle_remove_notification (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	static const EsimTag tags[] = { ESIM_TAG_REMOVE_NOTIF_SEQ_NUMBER };
	EsimTlv children[1];
	guint64 seq = 0;

	if (!get_exact_children (request, children, tags, 1) ||
	    !esim_tlv_get_uint (&children[0], &seq, NULL))
		return code_response (ESIM_TAG_REMOVE_NOTIFICATION, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	for (guint i = 0; i < self->notifications->len; i++) {
		VeuiccNotification *notification = g_ptr_array_index (self->notifications, i);
		if (notification->seq == seq) {
			g_ptr_array_remove_index (self->notifications, i);
			if (!veuicc_es10_commit (self, sw))
				return NULL;
			return code_response (ESIM_TAG_REMOVE_NOTIFICATION, RESULT_TAG, 0, sw);
		}
	}
	/* an EuiccPackageResult is listed under the same numbers until the eIM acknowledged it */
	if (find_package_result (self, seq) >= 0) {
		g_ptr_array_remove_index (self->package_results, (guint) find_package_result (self, seq));
		if (!veuicc_es10_commit (self, sw))
			return NULL;
		return code_response (ESIM_TAG_REMOVE_NOTIFICATION, RESULT_TAG, 0, sw);
	}
	return code_response (ESIM_TAG_REMOVE_NOTIFICATION, RESULT_TAG, 1, sw); /* nothingToDelete */
}

/* ---- ES10a addresses, ES10b GetRAT, GetCerts ---------------------------------------------- */

static GBytes *
handle_get_addresses (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	if (request->len != 0)
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	esim_der_writer_begin (writer, ESIM_TAG_GET_CONFIGURED_ADDRESSES);
	if (self->default_dp_address != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_DEFAULT_DP_ADDRESS, self->default_dp_address);
	esim_der_writer_put_utf8 (writer, ESIM_TAG_ROOT_DS_ADDRESS, self->root_ds_address);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* SGP.22 BF3F and SGP.32 v1.2 BF65 share the shape { 80 defaultDpAddress } -> { 80 result } */
static GBytes *
handle_set_default_dp (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	static const EsimTag tags[] = { ESIM_TAG_DEFAULT_DP_ADDRESS };
	EsimTlv children[1];
	gchar *address;

	if (!get_exact_children (request, children, tags, 1) || children[0].len > 255)
		return code_response (request->tag, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	address = esim_tlv_dup_utf8 (&children[0], NULL);
	if (address == NULL)
		return code_response (request->tag, RESULT_TAG, RESULT_UNDEFINED_ERROR, sw);
	g_free (self->default_dp_address);
	self->default_dp_address = NULL;
	if (address[0] != '\0')
		self->default_dp_address = address;
	else
		g_free (address);
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return code_response (request->tag, RESULT_TAG, 0, sw);
}

void
veuicc_es10_put_rat (EsimDerWriter *writer, EsimTag tag)
{
	static const guint8 any_operator[] = { 0xEE, 0xEE, 0xEE }; /* MCC/MNC wildcard */

	esim_der_writer_begin (writer, tag);
	/* one rule: profiles with ppr1 may be installed for any operator after user consent */
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_named_bits (writer, ESIM_TAG_RAT_PPR_IDS, 1u << 1);  /* ppr1 */
	esim_der_writer_begin (writer, ESIM_TAG_RAT_ALLOWED_OPERATORS);
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put (writer, ESIM_TAG_RAT_MCC_MNC, any_operator, sizeof (any_operator));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_put_named_bits (writer, ESIM_TAG_RAT_PPR_FLAGS, 1u << 0);  /* consentRequired */
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
}

/* GetRatResponse { rat [0] RulesAuthorisationTable } = BF43 { A0 { 30 rule … } } */
static GBytes *
handle_get_rat (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	if (request->len != 0)
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	esim_der_writer_begin (writer, ESIM_TAG_GET_RAT);
	veuicc_es10_put_rat (writer, ESIM_TAG_RAT);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* A certificate with its SEQUENCE tag replaced by the implicit [5]/[6] */
static void
put_retagged (EsimDerWriter *writer, EsimTag tag, GBytes *der)
{
	EsimTlv tlv;
	if (!esim_tlv_parse_exact (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &tlv, NULL))
		return;
	esim_der_writer_put (writer, tag, tlv.value, tlv.len);
}

static GBytes *
handle_get_certs (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) eum_cert = veuicc_crypto_get_eum_certificate (self->crypto);
	g_autoptr(GBytes) euicc_cert = veuicc_crypto_get_euicc_certificate (self->crypto);
	EsimTlv children[1];
	guint n = 0;

	if (!get_children (request, children, 1, &n) ||
	    (n == 1 && children[0].tag != ESIM_TAG_CERTS_CI_PKID))
		return code_response (ESIM_TAG_GET_CERTS, CHOICE_ERROR_TAG, RESULT_UNDEFINED_ERROR, sw);
	if (n == 1 && !veuicc_crypto_has_ci_pkid (self->crypto, children[0].value, children[0].len))
		return code_response (ESIM_TAG_GET_CERTS, CHOICE_ERROR_TAG, 1, sw); /* invalidCiPKId */
	esim_der_writer_begin (writer, ESIM_TAG_GET_CERTS);
	esim_der_writer_begin (writer, ESIM_TAG_CERTS);
	put_retagged (writer, ESIM_TAG_CERTS_EUM, eum_cert);
	put_retagged (writer, ESIM_TAG_CERTS_EUICC, euicc_cert);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* IpaeActivation (SGP.32 reuse of LpaeActivation): this card has no IPAe. */
static GBytes *
handle_ipae_activation (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	static const EsimTag tags[] = { ESIM_TAG_LPAE_OPTION };
	EsimTlv children[1];
	if (!get_exact_children (request, children, tags, 1))
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	return code_response (ESIM_TAG_LPAE_ACTIVATION, RESULT_TAG, 1, sw); /* notSupported */
}

static const struct {
	EsimTag     tag;
	Es10Handler handler;
} es10_handlers[] = {
	{ ESIM_TAG_GET_EUICC_INFO1, handle_get_euicc_info1 },
	{ ESIM_TAG_PREPARE_DOWNLOAD, veuicc_download_prepare_download },
	{ ESIM_TAG_GET_EUICC_INFO2, handle_get_euicc_info2 },
	{ ESIM_TAG_LIST_NOTIFICATION, handle_list_notification },
	{ ESIM_TAG_SET_NICKNAME, handle_set_nickname },
	{ ESIM_TAG_RETRIEVE_NOTIFICATIONS, handle_retrieve_notifications },
	{ ESIM_TAG_GET_PROFILES_INFO, handle_get_profiles_info },
	{ ESIM_TAG_GET_EUICC_CHALLENGE, veuicc_download_get_challenge },
	{ ESIM_TAG_REMOVE_NOTIFICATION, handle_remove_notification },
	{ ESIM_TAG_ENABLE_PROFILE, handle_profile_switch },
	{ ESIM_TAG_DISABLE_PROFILE, handle_profile_switch },
	{ ESIM_TAG_DELETE_PROFILE, handle_delete_profile },
	{ ESIM_TAG_MEMORY_RESET_SGP22, handle_memory_reset },
	{ ESIM_TAG_AUTHENTICATE_SERVER, veuicc_download_authenticate_server },
	{ ESIM_TAG_GET_CONFIGURED_ADDRESSES, handle_get_addresses },
	{ ESIM_TAG_GET_EID, handle_get_eid },
	{ ESIM_TAG_SET_DEFAULT_DP_SGP22, handle_set_default_dp },
	{ ESIM_TAG_CANCEL_SESSION, veuicc_download_cancel_session },
	{ ESIM_TAG_LPAE_ACTIVATION, handle_ipae_activation },
	{ ESIM_TAG_GET_RAT, handle_get_rat },
	{ ESIM_TAG_GET_EIM_CONFIGURATION_DATA, veuicc_eim_get_configuration },
	{ ESIM_TAG_GET_CERTS, handle_get_certs },
	{ ESIM_TAG_ADD_INITIAL_EIM, veuicc_eim_add_initial },
	{ ESIM_TAG_LOAD_EUICC_PACKAGE, veuicc_package_load },
	{ ESIM_TAG_PROFILE_ROLLBACK, veuicc_package_rollback },
	{ ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE, veuicc_package_configure_immediate },
	{ ESIM_TAG_IMMEDIATE_ENABLE, veuicc_package_immediate_enable },
	{ ESIM_TAG_MEMORY_RESET_SGP32, handle_memory_reset },
	{ ESIM_TAG_SET_DEFAULT_DP_SGP32, handle_set_default_dp },
};

/* A refusal the state file's [faults] asked for: a status word, or ("error")
 * undefinedError in the function's error arm, where RSPDefinitions (SGP.22 v2.5) and
 * SGP32Definitions v1.2 put it: 81 where the response is a CHOICE with an error [1]
 * (ListNotification, RetrieveNotificationsList, GetProfilesInfo, GetCerts,
 * AddInitialEim), 02 for ProfileRollback, 80 elsewhere; LoadEuiccPackage gets
 * the unsigned error arm (veuicc_package_refuse()).  Where the ASN.1 has no error result (GetEUICCInfo2,
 * GetEID…) 80 is what a card that reports every refusal as a result code would send;
 * for EuiccConfiguredAddresses that is its defaultDpAddress, so a client reads an
 * address of "\x7F" there, not a refusal. */
static GBytes *
fault_response (const VeuiccFault *fault, guint16 *sw)
{
	static const EsimTag choice_responses[] = {
		ESIM_TAG_LIST_NOTIFICATION, ESIM_TAG_RETRIEVE_NOTIFICATIONS, ESIM_TAG_GET_PROFILES_INFO,
		ESIM_TAG_GET_CERTS, ESIM_TAG_ADD_INITIAL_EIM,
	};
	EsimTag code_tag = RESULT_TAG;

	g_debug ("ES10 request %X refused as [faults] asks", fault->tag);
	if (fault->sw != 0)
		return fail_sw (fault->sw, sw);
	for (guint i = 0; i < G_N_ELEMENTS (choice_responses); i++) {
		if (choice_responses[i] == fault->tag)
			code_tag = CHOICE_ERROR_TAG;
	}
	/* ProfileRollbackResponse: cmdResult is universal (its sequence has a tagged member) */
	if (fault->tag == ESIM_TAG_PROFILE_ROLLBACK)
		code_tag = ESIM_TAG_ROLLBACK_CMD_RESULT;
	return code_response (fault->tag, code_tag, RESULT_UNDEFINED_ERROR, sw);
}

GBytes *
veuicc_es10_dispatch (EsimVeuicc *self, const guint8 *data, gsize len, guint16 *sw)
{
	const VeuiccFault *fault;
	EsimTlv request;

	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	g_return_val_if_fail (sw != NULL, NULL);

	/* a bound profile package comes in segments that are no whole TLV of their own; a
	 * [faults] BF36 refuses every one of them */
	if (veuicc_bpp_is_segment (self, data, len)) {
		GBytes *response;

		fault = veuicc_find_fault (self, ESIM_TAG_BOUND_PROFILE_PACKAGE);
		if (fault != NULL)
			return fault_response (fault, sw);
		response = veuicc_bpp_load_segment (self, data, len, sw);
		/* what was installed may be enabled by ImmediateEnable */
		if (response != NULL && g_bytes_get_size (response) > 0)
			veuicc_package_observe_install (self, response);
		return response;
	}
	if (!esim_tlv_parse_exact (data, len, &request, NULL))
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	fault = veuicc_find_fault (self, request.tag);
	/* an EuiccPackageResult's error arm needs the eimId of the request */
	if (fault != NULL && fault->sw == 0 && request.tag == ESIM_TAG_LOAD_EUICC_PACKAGE)
		return veuicc_package_refuse (self, &request, sw);
	if (fault != NULL)
		return fault_response (fault, sw);
	for (guint i = 0; i < G_N_ELEMENTS (es10_handlers); i++) {
		if (es10_handlers[i].tag == request.tag) {
			g_debug ("ES10 request %X (%" G_GSIZE_FORMAT " bytes)", request.tag, len);
			return es10_handlers[i].handler (self, &request, sw);
		}
	}
	g_debug ("ES10 request %X not supported", request.tag);
	return fail_sw (ESIM_SW_WRONG_DATA, sw);
}
