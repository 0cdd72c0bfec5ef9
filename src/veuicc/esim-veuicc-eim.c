/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eIMs a software eUICC is associated with (SGP.32 v1.2 §2.11.1, §3.5,
 * §5.9.4, §5.9.18): AddInitialEim, GetEimConfigurationData, the eIM
 * Configuration Operations a signed package carries (addEim, deleteEim,
 * updateEim, listEim) and the check of an eimSignature.
 *
 * Each eIM is kept as the EimConfigurationData it came with, plus what the
 * card holds of its own: the associationToken it allocated (an
 * associationToken in the request asks for one, whatever its value: V16 and
 * V17 send -1) and the counterValue, the configuration's initial one until a
 * package moves it.  GetEimConfigurationData returns the configuration with
 * the card's token and counter in their places.
 *
 * Choices where the specification gives no bytes (the first four follow a
 * public SGP.32 v1.3 eUICC emulation's reading of §3.5 and §5.9, the rest are
 * ours):
 *   - deleteEim of the last eIM deletes it and answers lastEimDeleted (2): the
 *     result names the state the card is left in ("no eIM Configuration Data
 *     available in eUICC", the module's comment), and the card can then be
 *     bootstrapped again with AddInitialEim (openiotrsp
 *     euiccpkg/service_test.go reads a lastEimDeleted result as done);
 *   - updateEim cannot change the associationToken (commandError) nor the
 *     eimId (it names the eIM to update);
 *   - an eCO the card cannot read, or does not know, ends the list with
 *     processingTerminated unknownOrDamagedCommand (2);
 *   - a counterValue below 0 or above VEUICC_MAX_COUNTER_VALUE is
 *     counterValueOutOfRange (6), and so is an updateEim that would move the
 *     counter back without a new eimPublicKeyData (a counter reset comes with
 *     a new key);
 *   - listEim carries eimIdType only for eimIdTypeOid (1) and eimIdTypeFqdn
 *     (2), as the module's comment on EimIdInfo says.
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <string.h>
#include <gnutls/abstract.h>

#include "esim-cert.h"
#include "esim-crypto.h"
#include "esim-ecdsa.h"
#include "esim-veuicc-private.h"

/* addInitialEimError / addEimResultCode / updateEimResult codes */
enum {
	EIM_ERROR_INSUFFICIENT_MEMORY = ESIM_ECO_INSUFFICIENT_MEMORY,
	EIM_ERROR_ALREADY_EXISTS = ESIM_ECO_ALREADY_EXISTS,
	EIM_ERROR_CI_PK_UNKNOWN = ESIM_ECO_CI_PK_UNKNOWN,
	EIM_ERROR_COUNTER_OUT_OF_RANGE = ESIM_ECO_COUNTER_OUT_OF_RANGE,
	EIM_ERROR_COMMAND = ESIM_PSMO_COMMAND_ERROR,
};

/* EimConfigurationData components in their DER order */
static const EsimTag config_order[] = {
	ESIM_TAG_EIM_ID, ESIM_TAG_EIM_FQDN, ESIM_TAG_EIM_ID_TYPE, ESIM_TAG_EIM_COUNTER_VALUE,
	ESIM_TAG_EIM_ASSOCIATION_TOKEN, ESIM_TAG_EIM_PUBLIC_KEY_DATA, ESIM_TAG_EIM_TRUSTED_KEY_TLS,
	ESIM_TAG_EIM_SUPPORTED_PROTOCOL, ESIM_TAG_EIM_EUICC_CI_PKID, ESIM_TAG_EIM_INDIRECT_DOWNLOAD,
	ESIM_TAG_EIM_PROTOCOL_VERSIONS,
};

VeuiccEim *
veuicc_find_eim (EsimVeuicc *self, const gchar *eim_id)
{
	for (guint i = 0; i < self->eims->len; i++) {
		VeuiccEim *eim = g_ptr_array_index (self->eims, i);
		if (g_strcmp0 (eim->eim_id, eim_id) == 0)
			return eim;
	}
	return NULL;
}

static gboolean
config_tlv (GBytes *config, EsimTlv *out)
{
	return esim_tlv_parse_exact (g_bytes_get_data (config, NULL), g_bytes_get_size (config), out,
	                             NULL);
}

/* The component @tag of @parent (a configuration or an updateEim); FALSE if absent. */
static gboolean
find_component (const EsimTlv *parent, EsimTag tag, EsimTlv *out)
{
	return parent != NULL && esim_tlv_find (parent, tag, out, NULL);
}

/*
 * Writes 30 { … }: the components of @config, those @update has in their
 * place (updateEim), and, when @state is given, counterValue and
 * associationToken as the card holds them.
 */
static void
put_config (EsimDerWriter *writer, const EsimTlv *config, const EsimTlv *update,
            const VeuiccEim *state)
{
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	for (guint i = 0; i < G_N_ELEMENTS (config_order); i++) {
		EsimTag tag = config_order[i];
		EsimTlv child;

		if (state != NULL && tag == ESIM_TAG_EIM_COUNTER_VALUE && state->has_counter) {
			esim_der_writer_put_int (writer, tag, state->counter);
		} else if (state != NULL && tag == ESIM_TAG_EIM_ASSOCIATION_TOKEN && state->has_token) {
			esim_der_writer_put_int (writer, tag, state->token);
		} else if (find_component (update, tag, &child) || find_component (config, tag, &child)) {
			esim_der_writer_put_raw (writer, child.raw, child.raw_len);
		}
	}
	esim_der_writer_end (writer);
}

/* ---- the associationToken and the eimSignature ---------------------------------------------- */

void
veuicc_eim_put_token (EsimDerWriter *writer, gboolean has_token, gint64 token)
{
	/* 84 01 00 without one: the associationToken data object with the value 0 */
	esim_der_writer_put_int (writer, ESIM_TAG_EIM_ASSOCIATION_TOKEN, has_token ? token : 0);
}

/* eimPublicKeyData [5] CHOICE { [0] SubjectPublicKeyInfo, [1] Certificate }: the
 * alternative's tag replaces the SEQUENCE's (digest §4, "Fourth pass") */
static gboolean
verify_with_key_data (const EsimTlv *key_data, GBytes *input, const guint8 *signature,
                      gsize signature_len, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) der = NULL;
	EsimTlv choice;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t datum;
	gboolean ok;

	if (!esim_tlv_parse_exact (key_data->value, key_data->len, &choice, error))
		return FALSE;
	esim_der_writer_put (writer, ESIM_TAG_SEQUENCE, choice.value, choice.len);
	der = esim_der_writer_finish (writer);
	if (choice.tag == ESIM_TAG_EIM_KEY_CERTIFICATE) {
		g_autoptr(EsimCert) cert = esim_cert_new_from_der (g_bytes_get_data (der, NULL),
		                                                   g_bytes_get_size (der), error);
		return cert != NULL &&
		       esim_cert_verify_signature (cert, g_bytes_get_data (input, NULL),
		                                   g_bytes_get_size (input), signature, signature_len,
		                                   error);
	}
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = (unsigned int) g_bytes_get_size (der);
	if (gnutls_pubkey_init (&key) < 0)
		return FALSE;
	if (gnutls_pubkey_import (key, &datum, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_pubkey_deinit (key);
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "eimPublicKey is no SubjectPublicKeyInfo");
		return FALSE;
	}
	ok = esim_ecdsa_verify (key, g_bytes_get_data (input, NULL), g_bytes_get_size (input),
	                        signature, signature_len, error);
	gnutls_pubkey_deinit (key);
	return ok;
}

gboolean
veuicc_eim_verify (const VeuiccEim *eim, const guint8 *data, gsize len, const guint8 *signature,
                   gsize signature_len, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) input = NULL;
	EsimTlv config;
	EsimTlv key_data;

	if (!config_tlv (eim->config, &config) ||
	    !find_component (&config, ESIM_TAG_EIM_PUBLIC_KEY_DATA, &key_data)) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_NOT_FOUND,
		                     "the eIM has no eimPublicKeyData");
		return FALSE;
	}
	/* DER(euiccPackageSigned) ‖ associationToken (SGP.32 §2.11.1.1; digest §3.5) */
	esim_der_writer_put_raw (writer, data, len);
	veuicc_eim_put_token (writer, eim->has_token, eim->token);
	input = esim_der_writer_finish (writer);
	return verify_with_key_data (&key_data, input, signature, signature_len, error);
}

/* ---- ES10b GetEimConfigurationData (BF55) --------------------------------------------------- */

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

GBytes *
veuicc_eim_get_configuration (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autofree gchar *eim_id = NULL;
	EsimTlv children[1];
	EsimTlv criteria[1];
	guint n = 0;

	if (!veuicc_tlv_children (request, children, 1, &n))
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	if (n == 1) {
		static const EsimTag tags[] = { ESIM_TAG_EIM_ID };
		if (children[0].tag != ESIM_TAG_EIM_SEARCH_CRITERIA || !children[0].constructed ||
		    !veuicc_tlv_exact_children (&children[0], criteria, tags, 1) ||
		    criteria[0].len < 1 || criteria[0].len > ESIM_EIM_ID_MAX_LENGTH)
			return fail_sw (ESIM_SW_WRONG_DATA, sw);
		eim_id = esim_tlv_dup_utf8 (&criteria[0], NULL);
		if (eim_id == NULL)
			return fail_sw (ESIM_SW_WRONG_DATA, sw);
	}
	esim_der_writer_begin (writer, ESIM_TAG_GET_EIM_CONFIGURATION_DATA);
	esim_der_writer_begin (writer, ESIM_TAG_EIM_CONFIG_LIST);
	for (guint i = 0; i < self->eims->len; i++) {
		VeuiccEim *eim = g_ptr_array_index (self->eims, i);
		EsimTlv config;

		if ((eim_id == NULL || g_strcmp0 (eim_id, eim->eim_id) == 0) &&
		    config_tlv (eim->config, &config))
			put_config (writer, &config, NULL, eim);
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- one configuration, for AddInitialEim and addEim ---------------------------------------- */

/* Reads @config (30, or A8 of an addEim) into a new eIM whose configuration is
 * the 30 form; 0 or the addInitialEimError / addEimResultCode to answer. */
static guint
read_new_eim (EsimVeuicc *self, const EsimTlv *config, VeuiccEim **out)
{
	g_autoptr(VeuiccEim) eim = g_new0 (VeuiccEim, 1);
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) pkid = NULL;
	g_autoptr(GError) error = NULL;
	EsimTlv as_sequence = *config;

	as_sequence.tag = ESIM_TAG_SEQUENCE;
	if (!veuicc_eim_config_parse (&as_sequence, eim, &pkid, &error)) {
		g_debug ("eIM configuration refused: %s", error->message);
		return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)
		       ? EIM_ERROR_COUNTER_OUT_OF_RANGE : EIM_ERROR_COMMAND;
	}
	if (pkid != NULL && !veuicc_crypto_has_ci_pkid (self->crypto, g_bytes_get_data (pkid, NULL),
	                                                g_bytes_get_size (pkid)))
		return EIM_ERROR_CI_PK_UNKNOWN;
	esim_der_writer_put (writer, ESIM_TAG_SEQUENCE, config->value, config->len);
	eim->config = esim_der_writer_finish (writer);
	*out = g_steal_pointer (&eim);
	return 0;
}

/* ---- ES10b AddInitialEim (BF57) ------------------------------------------------------------- */

static GBytes *
code_response (EsimTag tag, EsimTag code_tag, guint64 code, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, tag);
	esim_der_writer_put_uint (writer, code_tag, code);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* Parses every configuration of the request into @eims; 0 or an addInitialEimError code. */
static guint
parse_add_initial_eim (EsimVeuicc *self, const EsimTlv *request, GPtrArray *eims)
{
	static const EsimTag tags[] = { ESIM_TAG_EIM_CONFIG_LIST };
	g_autoptr(GError) error = NULL;
	EsimTlv children[1];
	EsimTlvIter iter;
	EsimTlv config;

	if (!veuicc_tlv_exact_children (request, children, tags, 1) || !children[0].constructed)
		return EIM_ERROR_COMMAND;
	esim_tlv_iter_init (&iter, &children[0]);
	while (esim_tlv_iter_next (&iter, &config, &error)) {
		VeuiccEim *eim = NULL;
		guint code;

		if (config.tag != ESIM_TAG_SEQUENCE)
			return EIM_ERROR_COMMAND;
		code = read_new_eim (self, &config, &eim);
		if (code != 0)
			return code;
		g_ptr_array_add (eims, eim);
		for (guint i = 0; i + 1 < eims->len; i++) {
			VeuiccEim *other = g_ptr_array_index (eims, i);
			if (g_strcmp0 (other->eim_id, eim->eim_id) == 0)
				return EIM_ERROR_COMMAND;
		}
	}
	if (error != NULL || eims->len == 0)
		return EIM_ERROR_COMMAND;
	if (self->eims->len > 0)
		return EIM_ERROR_ALREADY_EXISTS;
	if (eims->len > VEUICC_MAX_EIMS)
		return EIM_ERROR_INSUFFICIENT_MEMORY;
	return 0;
}

GBytes *
veuicc_eim_add_initial (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(GPtrArray) eims = g_ptr_array_new_with_free_func ((GDestroyNotify) veuicc_eim_free);
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	guint code = parse_add_initial_eim (self, request, eims);

	if (code != 0)
		return code_response (ESIM_TAG_ADD_INITIAL_EIM, ESIM_TAG_CHOICE_ERROR, code, sw);
	esim_der_writer_begin (writer, ESIM_TAG_ADD_INITIAL_EIM);
	esim_der_writer_begin (writer, ESIM_TAG_EIM_CONFIG_LIST); /* addInitialEimOk */
	for (guint i = 0; i < eims->len; i++) {
		VeuiccEim *eim = g_ptr_array_index (eims, i);
		/* an associationToken in the request asks the card to allocate one */
		if (eim->has_token) {
			eim->token = self->next_token++;
			esim_der_writer_put_int (writer, ESIM_TAG_EIM_ASSOCIATION_TOKEN, eim->token);
		} else {
			esim_der_writer_put_null (writer, ESIM_TAG_NULL);
		}
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	while (eims->len > 0)
		g_ptr_array_add (self->eims, g_ptr_array_steal_index (eims, 0));
	if (!veuicc_es10_commit (self, sw))
		return NULL;
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- the eCOs (SGP.32 §3.5) ----------------------------------------------------------------- */

static gint
put_code (EsimDerWriter *writer, EsimTag tag, gint code)
{
	esim_der_writer_put_int (writer, tag, code);
	return code;
}

/* addEim [8]: A8 { 84 associationToken } or A8 { 02 addEimResultCode } */
static gint
eco_add_eim (EsimVeuicc *self, const EsimTlv *eco, EsimDerWriter *writer)
{
	VeuiccEim *eim = NULL;
	guint code = read_new_eim (self, eco, &eim);

	if (code == 0 && veuicc_find_eim (self, eim->eim_id) != NULL)
		code = EIM_ERROR_ALREADY_EXISTS;
	else if (code == 0 && self->eims->len >= VEUICC_MAX_EIMS)
		code = EIM_ERROR_INSUFFICIENT_MEMORY;
	esim_der_writer_begin (writer, ESIM_TAG_RESULT_ADD_EIM);
	if (code != 0) {
		veuicc_eim_free (eim);
		esim_der_writer_put_int (writer, ESIM_TAG_ADD_EIM_CODE, code);
		esim_der_writer_end (writer);
		return (gint) code;
	}
	if (eim->has_token) {
		eim->token = self->next_token++;
		esim_der_writer_put_int (writer, ESIM_TAG_ADD_EIM_TOKEN, eim->token);
	} else {
		esim_der_writer_put_int (writer, ESIM_TAG_ADD_EIM_CODE, ESIM_PSMO_OK);
	}
	esim_der_writer_end (writer);
	g_ptr_array_add (self->eims, eim);
	return ESIM_PSMO_OK;
}

/* deleteEim [9] { 80 eimId } -> 89 */
static gint
eco_delete_eim (EsimVeuicc *self, const EsimTlv *eco, EsimDerWriter *writer)
{
	static const EsimTag tags[] = { ESIM_TAG_ECO_EIM_ID };
	g_autofree gchar *eim_id = NULL;
	EsimTlv children[1];
	VeuiccEim *eim;

	if (!veuicc_tlv_exact_children (eco, children, tags, 1) || children[0].len < 1 ||
	    children[0].len > ESIM_EIM_ID_MAX_LENGTH ||
	    (eim_id = esim_tlv_dup_utf8 (&children[0], NULL)) == NULL)
		return put_code (writer, ESIM_TAG_RESULT_DELETE_EIM, EIM_ERROR_COMMAND);
	eim = veuicc_find_eim (self, eim_id);
	if (eim == NULL)
		return put_code (writer, ESIM_TAG_RESULT_DELETE_EIM, ESIM_ECO_EIM_NOT_FOUND);
	g_ptr_array_remove (self->eims, eim);
	if (self->eims->len == 0) {
		g_message ("deleteEim: the card's last eIM is gone; AddInitialEim may add one again");
		put_code (writer, ESIM_TAG_RESULT_DELETE_EIM, ESIM_ECO_LAST_EIM_DELETED);
		return ESIM_PSMO_OK;
	}
	return put_code (writer, ESIM_TAG_RESULT_DELETE_EIM, ESIM_PSMO_OK);
}

/* updateEim [10] EimConfigurationData: the components it has replace the stored ones */
static gint
eco_update_eim (EsimVeuicc *self, const EsimTlv *eco, EsimDerWriter *writer)
{
	g_autoptr(VeuiccEim) update = g_new0 (VeuiccEim, 1);
	g_autoptr(VeuiccEim) merged = g_new0 (VeuiccEim, 1);
	g_autoptr(EsimDerWriter) config_writer = esim_der_writer_new ();
	g_autoptr(GBytes) pkid = NULL;
	g_autoptr(GError) error = NULL;
	EsimTlv as_sequence = *eco;
	EsimTlv stored;
	EsimTlv merged_tlv;
	EsimTlv unused;
	VeuiccEim *eim;

	as_sequence.tag = ESIM_TAG_SEQUENCE;
	if (!veuicc_eim_config_parse (&as_sequence, update, &pkid, &error)) {
		g_debug ("updateEim refused: %s", error->message);
		return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM,
		                 g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)
		                 ? EIM_ERROR_COUNTER_OUT_OF_RANGE : EIM_ERROR_COMMAND);
	}
	eim = veuicc_find_eim (self, update->eim_id);
	if (eim == NULL)
		return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM, ESIM_ECO_EIM_NOT_FOUND);
	if (update->has_token)
		return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM, EIM_ERROR_COMMAND);
	if (pkid != NULL && !veuicc_crypto_has_ci_pkid (self->crypto, g_bytes_get_data (pkid, NULL),
	                                                g_bytes_get_size (pkid)))
		return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM, EIM_ERROR_CI_PK_UNKNOWN);
	/* a counter goes back only with the key that starts counting anew */
	if (update->has_counter && eim->has_counter && update->counter < eim->counter &&
	    !find_component (&as_sequence, ESIM_TAG_EIM_PUBLIC_KEY_DATA, &unused))
		return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM, EIM_ERROR_COUNTER_OUT_OF_RANGE);
	if (!config_tlv (eim->config, &stored))
		return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM, ESIM_PSMO_UNDEFINED_ERROR);
	put_config (config_writer, &stored, &as_sequence, NULL);
	merged->config = esim_der_writer_finish (config_writer);
	if (!config_tlv (merged->config, &merged_tlv) ||
	    !veuicc_eim_config_parse (&merged_tlv, merged, NULL, NULL))
		return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM, EIM_ERROR_COMMAND);
	g_bytes_unref (eim->config);
	eim->config = g_steal_pointer (&merged->config);
	if (update->has_counter) {
		eim->has_counter = TRUE;
		eim->counter = update->counter;
	}
	return put_code (writer, ESIM_TAG_RESULT_UPDATE_EIM, ESIM_PSMO_OK);
}

/* listEim [11] {} -> AB { A0 { 30 { 80 eimId, 82 eimIdType OPT } … } } */
static gint
eco_list_eim (EsimVeuicc *self, const EsimTlv *eco, EsimDerWriter *writer)
{
	if (eco->len != 0) {
		put_code (writer, ESIM_TAG_RESULT_PROCESSING_TERMINATED, ESIM_PROCESSING_UNKNOWN_OR_DAMAGED);
		return ESIM_PROCESSING_UNKNOWN_OR_DAMAGED;
	}
	esim_der_writer_begin (writer, ESIM_TAG_RESULT_LIST_EIM);
	esim_der_writer_begin (writer, ESIM_TAG_LIST_EIM_IDS);
	for (guint i = 0; i < self->eims->len; i++) {
		VeuiccEim *eim = g_ptr_array_index (self->eims, i);
		EsimTlv config;
		EsimTlv type;
		gint64 value = 0;

		esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
		esim_der_writer_put_utf8 (writer, ESIM_TAG_EIM_ID_INFO_ID, eim->eim_id);
		if (config_tlv (eim->config, &config) &&
		    find_component (&config, ESIM_TAG_EIM_ID_TYPE, &type) &&
		    esim_tlv_get_int (&type, &value, NULL) && (value == 1 || value == 2))
			esim_der_writer_put_raw (writer, type.raw, type.raw_len);
		esim_der_writer_end (writer);
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ESIM_PSMO_OK;
}

gint
veuicc_eim_run_eco (EsimVeuicc *self, const EsimTlv *eco, EsimDerWriter *writer)
{
	switch (eco->tag) {
	case ESIM_TAG_ECO_ADD_EIM:
		if (eco->constructed)
			return eco_add_eim (self, eco, writer);
		break;
	case ESIM_TAG_ECO_DELETE_EIM:
		if (eco->constructed || eco->len == 0)
			return eco_delete_eim (self, eco, writer);
		break;
	case ESIM_TAG_ECO_UPDATE_EIM:
		if (eco->constructed)
			return eco_update_eim (self, eco, writer);
		break;
	case ESIM_TAG_ECO_LIST_EIM:
		if (eco->constructed || eco->len == 0)
			return eco_list_eim (self, eco, writer);
		break;
	default:
		break;
	}
	g_debug ("eCO %X: unknownOrDamagedCommand", eco->tag);
	return put_code (writer, ESIM_TAG_RESULT_PROCESSING_TERMINATED,
	                 ESIM_PROCESSING_UNKNOWN_OR_DAMAGED);
}
