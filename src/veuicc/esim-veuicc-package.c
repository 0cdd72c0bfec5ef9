/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's side of eIM packages (SGP.32 v1.2 §3.3, §3.4, §5.9.1, §5.9.15–
 * §5.9.17): LoadEuiccPackage with its PSMOs (the eCOs are esim-veuicc-eim.c),
 * the signed EuiccPackageResult it returns and keeps listed until the IPA
 * removes it, ProfileRollback, ImmediateEnable and
 * ConfigureImmediateProfileEnabling.
 *
 * LoadEuiccPackage checks, in this order, and answers as noted:
 *   - an eimId it cannot read: status word 6A80 (no result can name the eIM);
 *   - an eIM it does not know, or one without eimPublicKeyData, and a request
 *     it cannot read past the eimId: the unsigned error arm, undefinedError;
 *   - an eimSignature that does not verify over DER(euiccPackageSigned) ‖
 *     associationToken (digest §3.5): the unsigned error arm, undefinedError,
 *     with the eIM's associationToken when it has one (nothing is signed for
 *     a request nobody authenticated);
 *   - another card's EID: the signed error arm, invalidEid (3);
 *   - a counterValue above VEUICC_MAX_COUNTER_VALUE: counterValueOutOfRange
 *     (6); one not above the eIM's stored counter: replayError (4) — both
 *     signed errors, and neither moves the counter.
 * A package past those checks is carried out in order, stopping at the first
 * PSMO or eCO that fails (SGP.32 §3.3.1 step 5); an element the card cannot
 * read or does not know stops it with processingTerminated
 * unknownOrDamagedCommand (2).  The eIM's counter takes the package's
 * counterValue, any rollback granted before is void, and the result is
 * signed with the eUICC key over DER(EuiccPackageResultDataSigned) ‖
 * associationToken, and numbered from the counter notifications use: the
 * notifications its PSMOs queue come first.  All of it, the profiles, the
 * counter, the result, is saved in one write: a card that cannot save
 * answers 6581 and is as it was (§5.9.1 makes the function atomic).
 *
 * Choices (the specification is silent, or its text was not at hand; the
 * first three as a public SGP.32 v1.3 eUICC emulation reads §3.4.1–§3.4.3):
 *   - one enable and one disable per package; a second, or a disable after an
 *     enable, is undefinedError (127);
 *   - enable with rollbackFlag needs a profile to go back to (the enabled
 *     one, or one an earlier disable of the package turned off), else
 *     rollbackNotAvailable (20); the profile to go back to cannot be deleted
 *     by the same package (rollbackNotAvailable);
 *   - ProfileRollback enables that profile again and answers with a result
 *     of its own (rollbackResult ok, under the granting package's eimId,
 *     counterValue and eimTransactionId, with a new seqNumber), which
 *     replaces the granting package's result in the list (§3.3.2 NOTE 1);
 *   - setFallbackAttribute on a profile whose metadata does not allow it is
 *     fallbackNotAllowed, and moving the attribute while its profile is
 *     enabled is fallbackProfileEnabled;
 *   - refreshFlag is read and checked, and has no effect: no modem to REFRESH;
 *   - ImmediateEnable enables the profile the last download installed (since
 *     the last card reset) when immediate enabling is configured; it does not
 *     look at the SM-DP+ it came from.
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <string.h>

#include "esim-util.h"
#include "esim-veuicc-private.h"

/* The eIM and the package a result answers, as they were when it came in. */
typedef struct {
	gchar    *eim_id;
	gboolean  has_token;
	gint64    token;
	gint64    counter;
	GBytes   *transaction_id;   /* its value; NULL: none */
} Requester;

static void
requester_clear (Requester *who)
{
	g_clear_pointer (&who->eim_id, g_free);
	g_clear_pointer (&who->transaction_id, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Requester, requester_clear)

/* What one package has done so far. */
typedef struct {
	gboolean  enable_done;
	gboolean  disable_done;
	gchar    *disabled_iccid;   /* turned off by a disable of this package */
	gchar    *rollback_iccid;   /* granted by an enable with rollbackFlag */
} PackageRun;

static void
package_run_clear (PackageRun *run)
{
	g_clear_pointer (&run->disabled_iccid, g_free);
	g_clear_pointer (&run->rollback_iccid, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PackageRun, package_run_clear)

static GBytes *
ok_response (GBytes *response, guint16 *sw)
{
	*sw = ESIM_SW_OK;
	return response;
}

static GBytes *
fail_sw (guint16 code, guint16 *sw)
{
	*sw = code;
	return NULL;
}

static GBytes *
code_response (EsimTag tag, EsimTag code_tag, gint64 code, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, tag);
	esim_der_writer_put_int (writer, code_tag, code);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- the result and its two error arms ------------------------------------------------------ */

/* BF51 { @arm { @data, 5F37 signature over @data ‖ associationToken } }; NULL if the
 * card cannot sign (only a broken key gets there). */
static GBytes *
sign_result (EsimVeuicc *self, EsimTag arm, GBytes *data, const Requester *who)
{
	g_autoptr(EsimDerWriter) input = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GError) error = NULL;
	guint8 signature[ESIM_SIGNATURE_LENGTH];

	esim_der_writer_put_raw (input, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
	veuicc_eim_put_token (input, who->has_token, who->token);
	tbs = esim_der_writer_finish (input);
	if (!veuicc_crypto_sign (self->crypto, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                         signature, &error)) {
		g_warning ("cannot sign an EuiccPackageResult: %s", error->message);
		return NULL;
	}
	esim_der_writer_begin (writer, ESIM_TAG_LOAD_EUICC_PACKAGE);
	esim_der_writer_begin (writer, arm);
	esim_der_writer_put_raw (writer, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, sizeof (signature));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static void
put_identity (EsimDerWriter *writer, const Requester *who)
{
	esim_der_writer_put_utf8 (writer, ESIM_TAG_EUICC_PACKAGE_EIM_ID, who->eim_id);
	esim_der_writer_put_int (writer, ESIM_TAG_EUICC_PACKAGE_COUNTER, who->counter);
	if (who->transaction_id != NULL)
		esim_der_writer_put_bytes (writer, ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID,
		                           who->transaction_id);
}

/* EuiccPackageResultDataSigned: 30 { 80, 81, 82 OPT, 83 seqNumber, 30 { results } } */
static GBytes *
result_data (const Requester *who, guint64 seq, GBytes *results)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	put_identity (writer, who);
	esim_der_writer_put_uint (writer, ESIM_TAG_EPR_SEQ_NUMBER, seq);
	esim_der_writer_begin (writer, ESIM_TAG_EPR_RESULTS);
	esim_der_writer_put_raw (writer, g_bytes_get_data (results, NULL), g_bytes_get_size (results));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* euiccPackageErrorSigned: BF51 { A1 { 30 { 80, 81, 82 OPT, 02 code }, 5F37 } } */
static GBytes *
signed_error (EsimVeuicc *self, const Requester *who, gint code, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) data = NULL;
	GBytes *result;

	g_debug ("LoadEuiccPackage: %s (%d)",
	         code == ESIM_EPR_ERROR_INVALID_EID ? "invalidEid" :
	         code == ESIM_EPR_ERROR_REPLAY ? "replayError" : "counterValueOutOfRange", code);
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	put_identity (writer, who);
	esim_der_writer_put_int (writer, ESIM_TAG_EPR_ERROR_CODE, code);
	esim_der_writer_end (writer);
	data = esim_der_writer_finish (writer);
	result = sign_result (self, ESIM_TAG_EPR_ERROR_SIGNED, data, who);
	if (result == NULL)
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	return ok_response (result, sw);
}

/* euiccPackageErrorUnsigned: BF51 { A2 { 80 eimId, 82 OPT, 84 associationToken OPT,
 * 8F code } }, the token when the eIM has one */
static GBytes *
unsigned_error (const Requester *who, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_LOAD_EUICC_PACKAGE);
	esim_der_writer_begin (writer, ESIM_TAG_EPR_ERROR_UNSIGNED);
	esim_der_writer_put_utf8 (writer, ESIM_TAG_EUICC_PACKAGE_EIM_ID, who->eim_id);
	if (who->transaction_id != NULL)
		esim_der_writer_put_bytes (writer, ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID,
		                           who->transaction_id);
	if (who->has_token)
		esim_der_writer_put_int (writer, ESIM_TAG_EPR_UNSIGNED_TOKEN, who->token);
	esim_der_writer_put_int (writer, ESIM_TAG_EPR_UNSIGNED_CODE, ESIM_EPR_ERROR_UNDEFINED);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- reading the request -------------------------------------------------------------------- */

/* The parts of an EuiccPackageRequest, as far as they could be read. */
typedef struct {
	EsimTlv  signed_part;      /* 30 euiccPackageSigned */
	EsimTlv  signature;        /* 5F37 */
	EsimTlv  fields[6];        /* its elements */
	guint    n_fields;
	gboolean complete;         /* 30 and 5F37 and nothing else under BF51 */
} Request;

/* eimId and eimTransactionId first: every answer, even a refusal, names them. */
static gboolean
read_request (const EsimTlv *request, Request *req, Requester *who)
{
	EsimTlv top[3];
	guint n = 0;

	memset (req, 0, sizeof (*req));
	if (!veuicc_tlv_children (request, top, 3, &n) || n == 0 || top[0].tag != ESIM_TAG_SEQUENCE ||
	    !veuicc_tlv_children (&top[0], req->fields, G_N_ELEMENTS (req->fields), &req->n_fields) ||
	    req->n_fields == 0 || req->fields[0].tag != ESIM_TAG_EUICC_PACKAGE_EIM_ID ||
	    req->fields[0].len < 1 || req->fields[0].len > ESIM_EIM_ID_MAX_LENGTH)
		return FALSE;
	who->eim_id = esim_tlv_dup_utf8 (&req->fields[0], NULL);
	if (who->eim_id == NULL)
		return FALSE;
	for (guint i = 1; i < req->n_fields; i++) {
		if (req->fields[i].tag == ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID &&
		    !req->fields[i].constructed && req->fields[i].len >= 1 &&
		    req->fields[i].len <= ESIM_TRANSACTION_ID_MAX_LENGTH)
			who->transaction_id = esim_tlv_dup_value (&req->fields[i]);
	}
	req->signed_part = top[0];
	if (n == 2 && top[1].tag == ESIM_TAG_SIGNATURE && !top[1].constructed) {
		req->signature = top[1];
		req->complete = TRUE;
	}
	return TRUE;
}

/* euiccPackageSigned in order: 80 eimId, 5A eidValue, 81 counterValue, 82 OPT, A0 | A1.
 * FALSE if the counter cannot be read: then no signed answer can be given. */
static gboolean
read_signed_fields (const Request *req, const EsimTlv **eid, gint64 *counter,
                    const EsimTlv **package)
{
	guint i = 1;

	*eid = NULL;
	*package = NULL;
	if (i < req->n_fields && req->fields[i].tag == ESIM_TAG_EID)
		*eid = &req->fields[i++];
	if (i == req->n_fields || req->fields[i].tag != ESIM_TAG_EUICC_PACKAGE_COUNTER ||
	    !esim_tlv_get_int (&req->fields[i], counter, NULL))
		return FALSE;
	i++;
	if (i < req->n_fields && req->fields[i].tag == ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID)
		i++;
	if (i + 1 == req->n_fields &&
	    (req->fields[i].tag == ESIM_TAG_EUICC_PACKAGE_PSMO_LIST ||
	     req->fields[i].tag == ESIM_TAG_EUICC_PACKAGE_ECO_LIST))
		*package = &req->fields[i];
	return TRUE;
}

static gboolean
eid_matches (EsimVeuicc *self, const EsimTlv *eid)
{
	guint8 own[ESIM_EID_LENGTH];

	return eid != NULL && !eid->constructed && eid->len == ESIM_EID_LENGTH &&
	       esim_eid_to_bytes (self->eid, own, NULL) && memcmp (own, eid->value, sizeof (own)) == 0;
}

/* ---- the PSMOs ------------------------------------------------------------------------------ */

/* Enables @profile; the one enabled before is disabled first, each notified as
 * ES10c EnableProfile does. */
static void
switch_to (EsimVeuicc *self, VeuiccProfile *profile)
{
	VeuiccProfile *old = veuicc_find_enabled_profile (self);

	if (old == profile)
		return;
	if (old != NULL) {
		old->enabled = FALSE;
		veuicc_es10_notify (self, VEUICC_EVENT_DISABLE, old);
	}
	profile->enabled = TRUE;
	veuicc_es10_notify (self, VEUICC_EVENT_ENABLE, profile);
}

static gint
put_code (EsimDerWriter *writer, EsimTag tag, gint code)
{
	esim_der_writer_put_int (writer, tag, code);
	return code;
}

static gint
damaged (EsimDerWriter *writer, const EsimTlv *psmo)
{
	g_debug ("PSMO %X: unknownOrDamagedCommand", psmo->tag);
	return put_code (writer, ESIM_TAG_RESULT_PROCESSING_TERMINATED,
	                 ESIM_PROCESSING_UNKNOWN_OR_DAMAGED);
}

/* { 5A iccid } plus, for enable, an optional universal NULL; FALSE if damaged. */
static gboolean
read_iccid (EsimVeuicc *self, const EsimTlv *psmo, gboolean with_flag, VeuiccProfile **profile,
            gboolean *flag)
{
	EsimTlv children[2];
	guint n = 0;

	if (!veuicc_tlv_children (psmo, children, with_flag ? 2 : 1, &n) || n == 0 ||
	    children[0].tag != ESIM_TAG_ICCID || children[0].len != ESIM_ICCID_LENGTH)
		return FALSE;
	if (n == 2 && (children[1].tag != ESIM_TAG_PSMO_ROLLBACK_FLAG || children[1].len != 0))
		return FALSE;
	if (flag != NULL)
		*flag = n == 2;
	*profile = veuicc_find_profile_by_iccid_bcd (self, children[0].value, children[0].len);
	return TRUE;
}

static gint
psmo_enable (EsimVeuicc *self, PackageRun *run, const EsimTlv *psmo, EsimDerWriter *writer)
{
	VeuiccProfile *profile = NULL;
	VeuiccProfile *current;
	gboolean rollback = FALSE;
	const gchar *back;

	if (!read_iccid (self, psmo, TRUE, &profile, &rollback))
		return damaged (writer, psmo);
	if (run->enable_done)
		return put_code (writer, ESIM_TAG_RESULT_ENABLE, ESIM_PSMO_UNDEFINED_ERROR);
	if (profile == NULL)
		return put_code (writer, ESIM_TAG_RESULT_ENABLE, ESIM_PSMO_ICCID_NOT_FOUND);
	if (profile->enabled)
		return put_code (writer, ESIM_TAG_RESULT_ENABLE, ESIM_PSMO_WRONG_STATE);
	current = veuicc_find_enabled_profile (self);
	back = current != NULL ? current->iccid : run->disabled_iccid;
	if (rollback && back == NULL)
		return put_code (writer, ESIM_TAG_RESULT_ENABLE, ESIM_PSMO_ROLLBACK_NOT_AVAILABLE);
	run->enable_done = TRUE;
	if (rollback)
		run->rollback_iccid = g_strdup (back);
	switch_to (self, profile);
	return put_code (writer, ESIM_TAG_RESULT_ENABLE, ESIM_PSMO_OK);
}

static gint
psmo_disable (EsimVeuicc *self, PackageRun *run, const EsimTlv *psmo, EsimDerWriter *writer)
{
	VeuiccProfile *profile = NULL;

	if (!read_iccid (self, psmo, FALSE, &profile, NULL))
		return damaged (writer, psmo);
	if (run->enable_done || run->disable_done)
		return put_code (writer, ESIM_TAG_RESULT_DISABLE, ESIM_PSMO_UNDEFINED_ERROR);
	if (profile == NULL)
		return put_code (writer, ESIM_TAG_RESULT_DISABLE, ESIM_PSMO_ICCID_NOT_FOUND);
	if (!profile->enabled)
		return put_code (writer, ESIM_TAG_RESULT_DISABLE, ESIM_PSMO_WRONG_STATE);
	run->disable_done = TRUE;
	run->disabled_iccid = g_strdup (profile->iccid);
	profile->enabled = FALSE;
	veuicc_es10_notify (self, VEUICC_EVENT_DISABLE, profile);
	return put_code (writer, ESIM_TAG_RESULT_DISABLE, ESIM_PSMO_OK);
}

static gint
psmo_delete (EsimVeuicc *self, PackageRun *run, const EsimTlv *psmo, EsimDerWriter *writer)
{
	VeuiccProfile *profile = NULL;

	if (!read_iccid (self, psmo, FALSE, &profile, NULL))
		return damaged (writer, psmo);
	if (profile == NULL)
		return put_code (writer, ESIM_TAG_RESULT_DELETE, ESIM_PSMO_ICCID_NOT_FOUND);
	if (profile->enabled)
		return put_code (writer, ESIM_TAG_RESULT_DELETE, ESIM_PSMO_WRONG_STATE);
	if (g_strcmp0 (profile->iccid, run->rollback_iccid) == 0)
		return put_code (writer, ESIM_TAG_RESULT_DELETE, ESIM_PSMO_ROLLBACK_NOT_AVAILABLE);
	veuicc_es10_notify (self, VEUICC_EVENT_DELETE, profile);
	/* the Fallback attribute goes with its profile */
	g_ptr_array_remove (self->profiles, profile);
	return put_code (writer, ESIM_TAG_RESULT_DELETE, ESIM_PSMO_OK);
}

static gint
psmo_list_profile_info (EsimVeuicc *self, const EsimTlv *psmo, EsimDerWriter *writer)
{
	g_autoptr(GBytes) list = veuicc_es10_profile_info_list (self, psmo, TRUE);
	EsimTlv response;
	EsimTlv choice;
	gint64 code = 0;

	esim_der_writer_put_raw (writer, g_bytes_get_data (list, NULL), g_bytes_get_size (list));
	/* profileInfoListError (81) is a failure that ends the package */
	if (esim_tlv_parse_exact (g_bytes_get_data (list, NULL), g_bytes_get_size (list), &response,
	                          NULL) &&
	    esim_tlv_parse_exact (response.value, response.len, &choice, NULL) &&
	    choice.tag == ESIM_TAG_LIST_ERROR && esim_tlv_get_int (&choice, &code, NULL))
		return (gint) code;
	return ESIM_PSMO_OK;
}

/* configureImmediateEnable [7] { 80 NULL OPT, 81 OID OPT, 82 UTF8String OPT }; also
 * the request of ConfigureImmediateProfileEnabling.  FALSE if damaged. */
static gboolean
read_immediate_config (const EsimTlv *tlv, gboolean *flag, const EsimTlv **oid,
                       const EsimTlv **address, EsimTlv children[3])
{
	static const EsimTag order[] = {
		ESIM_TAG_IMMEDIATE_ENABLE_FLAG, ESIM_TAG_IMMEDIATE_ENABLE_SMDP_OID,
		ESIM_TAG_IMMEDIATE_ENABLE_SMDP_ADDRESS,
	};
	guint n = 0, next = 0;

	*flag = FALSE;
	*oid = *address = NULL;
	if (!veuicc_tlv_children (tlv, children, 3, &n))
		return FALSE;
	for (guint i = 0; i < n; i++) {
		while (next < G_N_ELEMENTS (order) && order[next] != children[i].tag)
			next++;
		if (next == G_N_ELEMENTS (order) || children[i].constructed)
			return FALSE;
		switch (order[next++]) {
		case ESIM_TAG_IMMEDIATE_ENABLE_FLAG:
			if (children[i].len != 0)
				return FALSE;
			*flag = TRUE;
			break;
		case ESIM_TAG_IMMEDIATE_ENABLE_SMDP_OID:
			if (children[i].len == 0)
				return FALSE;
			*oid = &children[i];
			break;
		default:
			if (children[i].len > 255 ||
			    !g_utf8_validate ((const gchar *) children[i].value, children[i].len, NULL))
				return FALSE;
			*address = &children[i];
			break;
		}
	}
	return TRUE;
}

static void
apply_immediate_config (EsimVeuicc *self, gboolean flag, const EsimTlv *oid, const EsimTlv *address)
{
	self->immediate_enable = flag;
	if (oid != NULL) {
		g_clear_pointer (&self->immediate_enable_smdp_oid, g_bytes_unref);
		self->immediate_enable_smdp_oid = esim_tlv_dup_value (oid);
	}
	if (address != NULL) {
		g_free (self->immediate_enable_smdp_address);
		self->immediate_enable_smdp_address = g_strndup ((const gchar *) address->value,
		                                                 address->len);
	}
}

static gint
psmo_configure_immediate_enable (EsimVeuicc *self, const EsimTlv *psmo, EsimDerWriter *writer)
{
	EsimTlv children[3];
	const EsimTlv *oid;
	const EsimTlv *address;
	gboolean flag;

	if (!read_immediate_config (psmo, &flag, &oid, &address, children))
		return damaged (writer, psmo);
	apply_immediate_config (self, flag, oid, address);
	return put_code (writer, ESIM_TAG_RESULT_CONFIGURE_IMMEDIATE_ENABLE, ESIM_PSMO_OK);
}

static VeuiccProfile *
find_fallback_profile (EsimVeuicc *self)
{
	for (guint i = 0; i < self->profiles->len; i++) {
		VeuiccProfile *profile = g_ptr_array_index (self->profiles, i);
		if (profile->fallback_attribute)
			return profile;
	}
	return NULL;
}

static gint
psmo_set_fallback (EsimVeuicc *self, const EsimTlv *psmo, EsimDerWriter *writer)
{
	VeuiccProfile *profile = NULL;
	VeuiccProfile *fallback = find_fallback_profile (self);

	if (!read_iccid (self, psmo, FALSE, &profile, NULL))
		return damaged (writer, psmo);
	if (profile == NULL)
		return put_code (writer, ESIM_TAG_RESULT_SET_FALLBACK, ESIM_PSMO_ICCID_NOT_FOUND);
	if (profile == fallback)
		return put_code (writer, ESIM_TAG_RESULT_SET_FALLBACK, ESIM_PSMO_OK);
	if (!profile->fallback_allowed)
		return put_code (writer, ESIM_TAG_RESULT_SET_FALLBACK, ESIM_PSMO_FALLBACK_NOT_ALLOWED);
	if (fallback != NULL && fallback->enabled)
		return put_code (writer, ESIM_TAG_RESULT_SET_FALLBACK, ESIM_PSMO_FALLBACK_PROFILE_ENABLED);
	if (fallback != NULL)
		fallback->fallback_attribute = FALSE;
	profile->fallback_attribute = TRUE;
	return put_code (writer, ESIM_TAG_RESULT_SET_FALLBACK, ESIM_PSMO_OK);
}

static gint
psmo_unset_fallback (EsimVeuicc *self, const EsimTlv *psmo, EsimDerWriter *writer)
{
	VeuiccProfile *fallback = find_fallback_profile (self);

	if (psmo->len != 0)
		return damaged (writer, psmo);
	if (fallback == NULL)
		return put_code (writer, ESIM_TAG_RESULT_UNSET_FALLBACK, ESIM_PSMO_NO_FALLBACK_ATTRIBUTE);
	if (fallback->enabled)
		return put_code (writer, ESIM_TAG_RESULT_UNSET_FALLBACK, ESIM_PSMO_FALLBACK_PROFILE_ENABLED);
	fallback->fallback_attribute = FALSE;
	return put_code (writer, ESIM_TAG_RESULT_UNSET_FALLBACK, ESIM_PSMO_OK);
}

/* setDefaultDpAddress [101] { 80 address } -> BF65 { 80 result }; "" clears it */
static gint
psmo_set_default_dp (EsimVeuicc *self, const EsimTlv *psmo, EsimDerWriter *writer)
{
	static const EsimTag tags[] = { ESIM_TAG_DEFAULT_DP_ADDRESS };
	EsimTlv children[1];
	gchar *address;

	if (!veuicc_tlv_exact_children (psmo, children, tags, 1) || children[0].len > 255 ||
	    (address = esim_tlv_dup_utf8 (&children[0], NULL)) == NULL)
		return damaged (writer, psmo);
	g_free (self->default_dp_address);
	self->default_dp_address = NULL;
	if (address[0] != '\0')
		self->default_dp_address = address;
	else
		g_free (address);
	esim_der_writer_begin (writer, ESIM_TAG_RESULT_SET_DEFAULT_DP);
	esim_der_writer_put_int (writer, ESIM_TAG_RESULT, ESIM_PSMO_OK);
	esim_der_writer_end (writer);
	return ESIM_PSMO_OK;
}

static gint
run_psmo (EsimVeuicc *self, PackageRun *run, const EsimTlv *psmo, EsimDerWriter *writer)
{
	switch (psmo->tag) {
	case ESIM_TAG_PSMO_ENABLE:
		return psmo_enable (self, run, psmo, writer);
	case ESIM_TAG_PSMO_DISABLE:
		return psmo_disable (self, run, psmo, writer);
	case ESIM_TAG_PSMO_DELETE:
		return psmo_delete (self, run, psmo, writer);
	case ESIM_TAG_PSMO_LIST_PROFILE_INFO:
		return psmo_list_profile_info (self, psmo, writer);
	case ESIM_TAG_PSMO_GET_RAT:
		if (psmo->len != 0)
			return damaged (writer, psmo);
		veuicc_es10_put_rat (writer, ESIM_TAG_RESULT_GET_RAT);
		return ESIM_PSMO_OK;
	case ESIM_TAG_PSMO_CONFIGURE_IMMEDIATE_ENABLE:
		return psmo_configure_immediate_enable (self, psmo, writer);
	case ESIM_TAG_PSMO_SET_FALLBACK:
		return psmo_set_fallback (self, psmo, writer);
	case ESIM_TAG_PSMO_UNSET_FALLBACK:
		return psmo_unset_fallback (self, psmo, writer);
	case ESIM_TAG_PSMO_SET_DEFAULT_DP:
		return psmo_set_default_dp (self, psmo, writer);
	default:
		return damaged (writer, psmo);
	}
}

/* Runs the PSMOs or eCOs of @package in order, stopping at the first failure;
 * returns the EuiccResultData list. */
static GBytes *
run_package (EsimVeuicc *self, PackageRun *run, const EsimTlv *package)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv element;
	guint n = 0;

	if (package == NULL || !package->constructed) {
		put_code (writer, ESIM_TAG_RESULT_PROCESSING_TERMINATED, ESIM_PROCESSING_UNKNOWN_OR_DAMAGED);
		return esim_der_writer_finish (writer);
	}
	esim_tlv_iter_init (&iter, package);
	while (esim_tlv_iter_next (&iter, &element, &error)) {
		gboolean psmo = package->tag == ESIM_TAG_EUICC_PACKAGE_PSMO_LIST;
		gint code;

		/* a package is one APDU chain: it cannot hold more than a handful of operations */
		if (++n > ESIM_ESIPA_MAX_LIST_ITEMS) {
			put_code (writer, ESIM_TAG_RESULT_PROCESSING_TERMINATED,
			          ESIM_PROCESSING_RESULT_SIZE_OVERFLOW);
			break;
		}
		code = psmo ? run_psmo (self, run, &element, writer)
		            : veuicc_eim_run_eco (self, &element, writer);
		if (code != ESIM_PSMO_OK)
			break;
	}
	if (error != NULL)
		put_code (writer, ESIM_TAG_RESULT_PROCESSING_TERMINATED, ESIM_PROCESSING_UNKNOWN_OR_DAMAGED);
	return esim_der_writer_finish (writer);
}

/* ---- LoadEuiccPackage (BF51) ---------------------------------------------------------------- */

/* Signs the results, lists the result and saves it all; undone on failure. */
static GBytes *
finish_package (EsimVeuicc *self, const Requester *who, GBytes *results, PackageRun *run,
                guint16 *sw)
{
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GBytes) result = NULL;
	VeuiccEim *eim = veuicc_find_eim (self, who->eim_id);
	guint64 seq = self->next_seq++;

	/* the counter moves with the package, whatever its operations did (an eIM that
	 * deleted itself has none left) */
	if (eim != NULL) {
		eim->has_counter = TRUE;
		eim->counter = who->counter;
	}
	data = result_data (who, seq, results);
	result = sign_result (self, ESIM_TAG_EPR_SIGNED, data, who);
	if (result == NULL) {
		veuicc_state_revert (self);
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	}
	veuicc_add_package_result (self, seq, result);
	if (run->rollback_iccid != NULL) {
		self->rollback = g_new0 (VeuiccRollback, 1);
		self->rollback->iccid = g_strdup (run->rollback_iccid);
		self->rollback->eim_id = g_strdup (who->eim_id);
		self->rollback->counter = who->counter;
		if (who->transaction_id != NULL)
			self->rollback->transaction_id = g_bytes_ref (who->transaction_id);
		self->rollback->result_seq = seq;
	}
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return ok_response (g_steal_pointer (&result), sw);
}

GBytes *
veuicc_package_load (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_auto(Requester) who = { 0 };
	g_auto(PackageRun) run = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) results = NULL;
	const EsimTlv *eid = NULL;
	const EsimTlv *package = NULL;
	VeuiccEim *eim;
	Request req;

	if (!read_request (request, &req, &who)) {
		g_debug ("LoadEuiccPackage: no eimId to answer to");
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	}
	eim = veuicc_find_eim (self, who.eim_id);
	if (eim == NULL) {
		g_debug ("LoadEuiccPackage: unknown eIM");
		return unsigned_error (&who, sw);
	}
	who.has_token = eim->has_token;
	who.token = eim->token;
	if (!req.complete ||
	    !veuicc_eim_verify (eim, req.signed_part.raw, req.signed_part.raw_len, req.signature.value,
	                        req.signature.len, &error)) {
		g_message ("LoadEuiccPackage refused: %s",
		           error != NULL ? error->message : "not { euiccPackageSigned, eimSignature }");
		return unsigned_error (&who, sw);
	}
	if (!read_signed_fields (&req, &eid, &who.counter, &package)) {
		g_message ("LoadEuiccPackage refused: no counterValue");
		return unsigned_error (&who, sw);
	}
	if (!eid_matches (self, eid))
		return signed_error (self, &who, ESIM_EPR_ERROR_INVALID_EID, sw);
	if (who.counter > VEUICC_MAX_COUNTER_VALUE)
		return signed_error (self, &who, ESIM_EPR_ERROR_COUNTER_OUT_OF_RANGE, sw);
	if (who.counter <= (eim->has_counter ? eim->counter : 0))
		return signed_error (self, &who, ESIM_EPR_ERROR_REPLAY, sw);

	/* accepted: a rollback granted before is void (§5.9.1) */
	g_clear_pointer (&self->rollback, veuicc_rollback_free);
	eim = NULL;   /* an eCO may free it */
	results = run_package (self, &run, package);
	return finish_package (self, &who, results, &run, sw);
}

GBytes *
veuicc_package_refuse (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_auto(Requester) who = { 0 };
	VeuiccEim *eim;
	Request req;

	if (!read_request (request, &req, &who))
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	eim = veuicc_find_eim (self, who.eim_id);
	if (eim != NULL) {
		who.has_token = eim->has_token;
		who.token = eim->token;
	}
	return unsigned_error (&who, sw);
}

/* ---- ProfileRollback (BF58) ----------------------------------------------------------------- */

/* { 80 refreshFlag BOOLEAN }, as BF58, BF5A and the other IoT functions take it */
static gboolean
read_refresh_flag (const EsimTlv *request)
{
	static const EsimTag tags[] = { ESIM_TAG_IOT_REFRESH_FLAG };
	EsimTlv children[1];
	gboolean refresh = FALSE;

	/* the card has no modem to REFRESH: the flag is only validated */
	return veuicc_tlv_exact_children (request, children, tags, 1) &&
	       esim_tlv_get_bool (&children[0], &refresh, NULL);
}

/* Drops the listed result numbered @seq (the rollback's replaces it). */
static void
drop_package_result (EsimVeuicc *self, guint64 seq)
{
	for (guint i = 0; i < self->package_results->len; i++) {
		VeuiccPackageResult *result = g_ptr_array_index (self->package_results, i);
		if (result->seq == seq) {
			g_ptr_array_remove_index (self->package_results, i);
			return;
		}
	}
}

GBytes *
veuicc_package_rollback (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) results = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) results_bytes = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GBytes) result = NULL;
	g_auto(Requester) who = { 0 };
	VeuiccRollback *rollback = self->rollback;
	VeuiccProfile *profile = NULL;
	guint8 bcd[ESIM_ICCID_LENGTH];
	VeuiccEim *eim;
	guint64 seq;

	if (!read_refresh_flag (request))
		return code_response (ESIM_TAG_PROFILE_ROLLBACK, ESIM_TAG_ROLLBACK_CMD_RESULT,
		                      ESIM_PSMO_COMMAND_ERROR, sw);
	eim = rollback != NULL ? veuicc_find_eim (self, rollback->eim_id) : NULL;
	if (eim == NULL)
		return code_response (ESIM_TAG_PROFILE_ROLLBACK, ESIM_TAG_ROLLBACK_CMD_RESULT,
		                      ESIM_ROLLBACK_NOT_ALLOWED, sw);
	if (esim_iccid_to_bcd (rollback->iccid, bcd, NULL))
		profile = veuicc_find_profile_by_iccid_bcd (self, bcd, sizeof (bcd));
	if (profile == NULL)
		return code_response (ESIM_TAG_PROFILE_ROLLBACK, ESIM_TAG_ROLLBACK_CMD_RESULT,
		                      ESIM_PSMO_UNDEFINED_ERROR, sw);
	switch_to (self, profile);

	who.eim_id = g_strdup (rollback->eim_id);
	who.has_token = eim->has_token;
	who.token = eim->token;
	who.counter = rollback->counter;
	if (rollback->transaction_id != NULL)
		who.transaction_id = g_bytes_ref (rollback->transaction_id);
	put_code (results, ESIM_TAG_RESULT_ROLLBACK, ESIM_PSMO_OK);
	results_bytes = esim_der_writer_finish (results);
	seq = self->next_seq++;
	data = result_data (&who, seq, results_bytes);
	result = sign_result (self, ESIM_TAG_EPR_SIGNED, data, &who);
	if (result == NULL) {
		veuicc_state_revert (self);
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	}
	drop_package_result (self, rollback->result_seq);
	veuicc_add_package_result (self, seq, result);
	g_clear_pointer (&self->rollback, veuicc_rollback_free);
	if (!veuicc_es10_commit (self, sw))
		return NULL;

	/* BF58 { 02 ok, BF51 … }: [81] replaces EuiccPackageResult's own [81] */
	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_ROLLBACK);
	esim_der_writer_put_int (writer, ESIM_TAG_ROLLBACK_CMD_RESULT, ESIM_PSMO_OK);
	esim_der_writer_put_raw (writer, g_bytes_get_data (result, NULL), g_bytes_get_size (result));
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- ImmediateEnable (BF5A), ConfigureImmediateProfileEnabling (BF59) ----------------------- */

GBytes *
veuicc_package_immediate_enable (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	VeuiccProfile *profile = NULL;
	guint8 bcd[ESIM_ICCID_LENGTH];

	if (!read_refresh_flag (request))
		return code_response (ESIM_TAG_IMMEDIATE_ENABLE, ESIM_TAG_RESULT, ESIM_PSMO_UNDEFINED_ERROR,
		                      sw);
	if (!self->immediate_enable)
		return code_response (ESIM_TAG_IMMEDIATE_ENABLE, ESIM_TAG_RESULT,
		                      ESIM_IMMEDIATE_ENABLE_NOT_AVAILABLE, sw);
	if (self->installed_iccid != NULL && esim_iccid_to_bcd (self->installed_iccid, bcd, NULL))
		profile = veuicc_find_profile_by_iccid_bcd (self, bcd, sizeof (bcd));
	g_clear_pointer (&self->installed_iccid, g_free);
	if (profile == NULL)
		return code_response (ESIM_TAG_IMMEDIATE_ENABLE, ESIM_TAG_RESULT,
		                      ESIM_IMMEDIATE_ENABLE_NO_SESSION, sw);
	switch_to (self, profile);
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return code_response (ESIM_TAG_IMMEDIATE_ENABLE, ESIM_TAG_RESULT, ESIM_PSMO_OK, sw);
}

GBytes *
veuicc_package_configure_immediate (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	EsimTlv children[3];
	const EsimTlv *oid;
	const EsimTlv *address;
	gboolean flag;

	if (!read_immediate_config (request, &flag, &oid, &address, children))
		return code_response (ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE, ESIM_TAG_RESULT,
		                      ESIM_PSMO_UNDEFINED_ERROR, sw);
	/* once an eIM is associated, it configures this with its own PSMO */
	if (self->eims->len > 0)
		return code_response (ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE, ESIM_TAG_RESULT,
		                      ESIM_CONFIGURE_IMMEDIATE_EIM_EXISTS, sw);
	apply_immediate_config (self, flag, oid, address);
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return code_response (ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE, ESIM_TAG_RESULT, ESIM_PSMO_OK, sw);
}

/* A successful ProfileInstallationResult: BF37 { BF27 { …, BF2F { …, 5A iccid }, …,
 * A2 { A0 successResult } }, 5F37 } */
void
veuicc_package_observe_install (EsimVeuicc *self, GBytes *response)
{
	EsimTlv pir, data, meta, final, success, iccid;

	if (!esim_tlv_parse_tagged (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
	                            ESIM_TAG_PROFILE_INSTALLATION_RESULT, &pir, NULL) ||
	    !esim_tlv_find (&pir, ESIM_TAG_PROFILE_INSTALLATION_RESULT_DATA, &data, NULL) ||
	    !esim_tlv_find (&data, ESIM_TAG_NOTIFICATION_METADATA, &meta, NULL) ||
	    !esim_tlv_find (&meta, ESIM_TAG_ICCID, &iccid, NULL) ||
	    !esim_tlv_find (&data, ESIM_TAG_PIR_FINAL_RESULT, &final, NULL) ||
	    !esim_tlv_find (&final, ESIM_TAG_PIR_SUCCESS_RESULT, &success, NULL))
		return;
	g_free (self->installed_iccid);
	self->installed_iccid = esim_iccid_from_bcd (iccid.value, iccid.len, NULL);
}
