/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Executing an eIM package (esim-eim-package.h): one step machine per kind,
 * one context.  Nothing personal is logged (no EID, ICCID, activation code).
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-activation-code.h"
#include "esim-der.h"
#include "esim-download.h"
#include "esim-eim-package.h"
#include "esim-es10-iot.h"
#include "esim-util.h"

/* What an ipaEuiccDataRequest needs from the card, one step each. */
typedef enum {
	NEED_NOTIFICATIONS = 1 << 0,  /* A0: RetrieveNotificationsList */
	NEED_RESULTS       = 1 << 1,  /* A2: RetrieveNotificationsList (EPRs) */
	NEED_ADDRESSES     = 1 << 2,  /* 81, 83: GetEuiccConfiguredAddresses */
	NEED_INFO1         = 1 << 3,  /* BF20 */
	NEED_INFO2         = 1 << 4,  /* BF22 */
	NEED_CERTS         = 1 << 5,  /* A5, A6: GetCerts */
	NEED_TOKEN         = 1 << 6,  /* 84: GetEimConfigurationData */
	NEED_LAST          = 1 << 7,
} DataNeed;

typedef enum {
	DOWNLOAD_STEP_FIRST,
	DOWNLOAD_STEP_ADDRESS,    /* contactDefaultSmdp: the card's default SM-DP+ */
	DOWNLOAD_STEP_CONFIG,     /* indirectProfileDownload, when the caller did not say */
	DOWNLOAD_STEP_RUN,
	DOWNLOAD_STEP_LAST,
} DownloadStep;

typedef struct {
	EsimIsdr              *isdr;
	const EsimEimPackage  *package;
	EsimEimPackageEnv      env;
	EsimEimPackageOutcome *outcome;

	/* ipaEuiccDataRequest */
	guint                  needs;
	guint                  need;      /* the one running */
	EsimNotificationList  *notifications;
	EsimNotificationList  *results;
	EsimConfiguredAddresses *addresses;
	EsimEuiccInfo1        *info1;
	EsimEuiccInfo2        *info2;
	EsimCerts             *certs;
	gboolean               has_token;
	gint64                 token;

	/* profileDownloadTriggerRequest */
	DownloadStep           download_step;
	gchar                 *smdp_address;
	gchar                 *matching_id;
	EsimEimConfig         *eim_config;  /* read from the card */

	/* eimAcknowledgements */
	guint                  index;
} PackageContext;

static void data_step (GTask *task);
static void download_step (GTask *task);
static void acknowledgements_step (GTask *task);

void
esim_eim_package_result_free (EsimEimPackageResult *result)
{
	if (result == NULL)
		return;
	g_clear_pointer (&result->euicc_package_result, g_bytes_unref);
	g_clear_pointer (&result->notifications, g_ptr_array_unref);
	g_clear_pointer (&result->ipa_euicc_data_response, g_bytes_unref);
	g_clear_pointer (&result->profile_download_trigger_result, g_bytes_unref);
	g_free ((gchar *) result->eim_transaction_id);
	g_free (result);
}

void
esim_eim_package_outcome_free (EsimEimPackageOutcome *outcome)
{
	if (outcome == NULL)
		return;
	esim_eim_package_result_free (outcome->result);
	g_free (outcome);
}

static void
package_context_free (PackageContext *ctx)
{
	g_clear_object (&ctx->isdr);
	esim_eim_package_outcome_free (ctx->outcome);
	g_clear_pointer (&ctx->notifications, esim_notification_list_free);
	g_clear_pointer (&ctx->results, esim_notification_list_free);
	g_clear_pointer (&ctx->addresses, esim_configured_addresses_free);
	g_clear_pointer (&ctx->info1, esim_euicc_info1_free);
	g_clear_pointer (&ctx->info2, esim_euicc_info2_free);
	g_clear_pointer (&ctx->certs, esim_certs_free);
	g_free (ctx->smdp_address);
	g_free (ctx->matching_id);
	g_clear_pointer (&ctx->eim_config, esim_eim_config_free);
	g_free (ctx);
}

static guint
ipa_features (PackageContext *ctx)
{
	return ctx->env.ipa_features != 0 ? ctx->env.ipa_features : ESIM_EIM_PACKAGE_DEFAULT_IPA_FEATURES;
}

static const gchar *
eim_name (PackageContext *ctx)
{
	return ctx->env.client != NULL ? esim_esipa_client_get_eim_id (ctx->env.client) : "(no eIM)";
}

/* The card answered, but not with what was asked (a status word, an answer
 * that does not parse, a result code): the eIM hears of it in a result.
 * Anything else (the channel gone, cancelled) ends the package. */
static gboolean
card_refused (const GError *error)
{
	if (error->domain == ESIM_ES10_ERROR || error->domain == ESIM_DER_ERROR)
		return TRUE;
	if (error->domain != ESIM_APDU_ERROR)
		return FALSE;
	switch (error->code) {
	case ESIM_APDU_ERROR_TRANSPORT:
	case ESIM_APDU_ERROR_MALFORMED_RESPONSE:
	case ESIM_APDU_ERROR_NO_CHANNEL:
	case ESIM_APDU_ERROR_CHANNEL_CLOSED:
	case ESIM_APDU_ERROR_SESSION_LOST:
		return FALSE;
	default:
		return TRUE;
	}
}

static EsimEimPackageResult *
result_new (EsimEimPackageResultKind kind)
{
	EsimEimPackageResult *result = g_new0 (EsimEimPackageResult, 1);

	result->kind = kind;
	return result;
}

/* eimPackageResultResponseError: what the eIM gets when a package could not
 * run at all (the card refused LoadEuiccPackage without a result). */
static void
return_package_error (GTask *task, const gchar *transaction_id, gint code)
{
	PackageContext *ctx = g_task_get_task_data (task);

	ctx->outcome->result = result_new (ESIM_EIM_PACKAGE_RESULT_ERROR);
	ctx->outcome->result->error_code = code;
	ctx->outcome->result->eim_transaction_id = g_strdup (transaction_id);
	g_task_return_pointer (task, g_steal_pointer (&ctx->outcome),
	                       (GDestroyNotify) esim_eim_package_outcome_free);
}

/* ---- euiccPackageRequest ---- */

gboolean
esim_eim_package_request_allows_rollback (GBytes *bf51)
{
	EsimTlv top, signed_part, list, op, flag;
	EsimTlvIter iter;
	gsize len = 0;
	const guint8 *data;

	if (bf51 == NULL)
		return FALSE;
	data = g_bytes_get_data (bf51, &len);
	if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_LOAD_EUICC_PACKAGE, &top, NULL) ||
	    !esim_tlv_find (&top, ESIM_TAG_SEQUENCE, &signed_part, NULL) ||
	    !esim_tlv_find (&signed_part, ESIM_TAG_EUICC_PACKAGE_PSMO_LIST, &list, NULL))
		return FALSE;
	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &op, NULL)) {
		if (op.tag == ESIM_TAG_PSMO_ENABLE && op.constructed &&
		    esim_tlv_find (&op, ESIM_TAG_PSMO_ROLLBACK_FLAG, &flag, NULL))
			return TRUE;
	}
	return FALSE;
}

/* What the results say changed on the card. */
static void
read_package_result (PackageContext *ctx, const EsimEuiccPackageResult *epr)
{
	EsimEimPackageOutcome *outcome = ctx->outcome;

	for (guint i = 0; i < epr->results->len; i++) {
		const EsimEuiccResult *r = &g_array_index (epr->results, EsimEuiccResult, i);

		if (!esim_euicc_result_is_ok (r))
			continue;
		switch (r->tag) {
		case ESIM_TAG_RESULT_ENABLE:
		case ESIM_TAG_RESULT_DISABLE:
		case ESIM_TAG_RESULT_ROLLBACK:
			outcome->enabled_profile_changed = TRUE;
			/* fall through */
		case ESIM_TAG_RESULT_DELETE:
		case ESIM_TAG_RESULT_SET_FALLBACK:
		case ESIM_TAG_RESULT_UNSET_FALLBACK:
			/* the card queues the operations' notifications too */
			outcome->changed |= ESIM_EIM_PACKAGE_CHANGED_PROFILES |
			                    ESIM_EIM_PACKAGE_CHANGED_NOTIFICATIONS;
			break;
		case ESIM_TAG_RESULT_ADD_EIM:
		case ESIM_TAG_RESULT_DELETE_EIM:
		case ESIM_TAG_RESULT_UPDATE_EIM:
			outcome->changed |= ESIM_EIM_PACKAGE_CHANGED_EIMS;
			break;
		case ESIM_TAG_RESULT_CONFIGURE_IMMEDIATE_ENABLE:
		case ESIM_TAG_RESULT_SET_DEFAULT_DP:
			outcome->changed |= ESIM_EIM_PACKAGE_CHANGED_ADDRESSES;
			break;
		default:
			break;
		}
	}
	if (epr->enable_succeeded)
		outcome->enabled_profile_changed = TRUE;
	if (epr->enable_succeeded &&
	    esim_eim_package_request_allows_rollback (ctx->package->euicc_package_request->raw))
		outcome->rollback_allowed = TRUE;
}

static void
load_euicc_package_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimEuiccPackageRequest *request = ctx->package->euicc_package_request;
	g_autoptr(EsimEuiccPackageResult) epr = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *description = NULL;

	epr = esim_es10_load_euicc_package_finish (ctx->isdr, res, &error);
	if (epr == NULL) {
		if (!card_refused (error)) {
			g_prefix_error (&error, "LoadEuiccPackage: ");
			g_task_return_error (task, g_steal_pointer (&error));
			return;
		}
		/* no result the card signed: tell the eIM the package did not run */
		g_warning ("eIM %s: the card gave no result for package (counter %" G_GUINT64_FORMAT "): %s",
		           eim_name (ctx), request->counter_value, error->message);
		return_package_error (task, request->eim_transaction_id, ESIM_ESIPA_UNDEFINED_ERROR);
		return;
	}
	description = esim_euicc_package_result_describe (epr);
	g_info ("%s", description);
	read_package_result (ctx, epr);
	ctx->outcome->result = result_new (ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT);
	ctx->outcome->result->euicc_package_result = g_bytes_ref (epr->raw);
	/* the unsigned error arm has no seqNumber: nothing lists it */
	ctx->outcome->kept_by_card = epr->seq_number >= 0;
	ctx->outcome->seq_number = epr->seq_number;
	g_task_return_pointer (task, g_steal_pointer (&ctx->outcome),
	                       (GDestroyNotify) esim_eim_package_outcome_free);
}

/* ---- ipaEuiccDataRequest ---- */

static guint
tag_need (EsimTag tag)
{
	switch (tag) {
	case ESIM_TAG_IPA_DATA_NOTIFICATIONS:
		return NEED_NOTIFICATIONS;
	case ESIM_TAG_IPA_DATA_EPR_LIST:
		return NEED_RESULTS;
	case ESIM_TAG_IPA_DATA_DEFAULT_SMDP:
	case ESIM_TAG_IPA_DATA_ROOT_SMDS:
		return NEED_ADDRESSES;
	case ESIM_TAG_IPA_DATA_EUICC_INFO1:
		return NEED_INFO1;
	case ESIM_TAG_IPA_DATA_EUICC_INFO2:
		return NEED_INFO2;
	case ESIM_TAG_IPA_DATA_EUM_CERTIFICATE:
	case ESIM_TAG_IPA_DATA_EUICC_CERTIFICATE:
		return NEED_CERTS;
	case ESIM_TAG_IPA_DATA_ASSOCIATION_TOKEN:
		return NEED_TOKEN;
	default:
		return 0;   /* served without the card: 87, A8, A9 */
	}
}

static gboolean
requested (const EsimIpaEuiccDataRequest *request, EsimTag tag)
{
	for (guint i = 0; i < request->tags->len; i++) {
		if (g_array_index (request->tags, EsimTag, i) == tag)
			return TRUE;
	}
	return FALSE;
}

static void
return_data_error (GTask *task, gint code)
{
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimIpaEuiccDataRequest *request = ctx->package->ipa_euicc_data_request;
	g_autoptr(GError) error = NULL;
	GBytes *bf52;

	bf52 = esim_esipa_build_ipa_euicc_data_error (request->eim_transaction_id, code, &error);
	if (bf52 == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	ctx->outcome->result = result_new (ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA);
	ctx->outcome->result->ipa_euicc_data_response = bf52;
	g_task_return_pointer (task, g_steal_pointer (&ctx->outcome),
	                       (GDestroyNotify) esim_eim_package_outcome_free);
}

/* The card failed a read: the eIM gets an error result when the card
 * answered, the package fails when it did not. */
static void
data_card_failed (GTask *task, GError *error, const gchar *what, gint code)
{
	PackageContext *ctx = g_task_get_task_data (task);

	if (!card_refused (error)) {
		g_prefix_error (&error, "%s: ", what);
		g_task_return_error (task, error);
		return;
	}
	g_warning ("eIM %s: ipaEuiccDataRequest: %s failed: %s", eim_name (ctx), what, error->message);
	g_error_free (error);
	return_data_error (task, code);
}

static void
data_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimIpaEuiccDataRequest *request = ctx->package->ipa_euicc_data_request;
	GError *error = NULL;
	const gchar *what = "the card";
	gint code = ESIM_ESIPA_UNDEFINED_ERROR;
	gboolean ok = FALSE;

	switch (ctx->need) {
	case NEED_NOTIFICATIONS:
		what = "RetrieveNotificationsList";
		ctx->notifications = esim_es10_retrieve_notifications_list_finish (ctx->isdr, res, &error);
		ok = ctx->notifications != NULL;
		break;
	case NEED_RESULTS:
		what = "RetrieveNotificationsList (results)";
		ctx->results = esim_es10_retrieve_notifications_list_finish (ctx->isdr, res, &error);
		ok = ctx->results != NULL;
		break;
	case NEED_ADDRESSES:
		what = "GetEuiccConfiguredAddresses";
		ctx->addresses = esim_es10_get_configured_addresses_finish (ctx->isdr, res, &error);
		ok = ctx->addresses != NULL;
		break;
	case NEED_INFO1:
		what = "GetEUICCInfo1";
		ctx->info1 = esim_es10_get_euicc_info1_finish (ctx->isdr, res, &error);
		ok = ctx->info1 != NULL;
		break;
	case NEED_INFO2:
		what = "GetEUICCInfo2";
		ctx->info2 = esim_es10_get_euicc_info2_finish (ctx->isdr, res, &error);
		ok = ctx->info2 != NULL;
		break;
	case NEED_CERTS:
		what = "GetCerts";
		ctx->certs = esim_es10_get_certs_finish (ctx->isdr, res, &error);
		ok = ctx->certs != NULL;
		/* the card knows no such CI: euiccCiPKIdNotFound */
		if (!ok && request->euicc_ci_pkid != NULL && error->domain == ESIM_ES10_ERROR)
			code = ESIM_IPA_EUICC_DATA_CI_PKID_NOT_FOUND;
		break;
	case NEED_TOKEN: {
		g_autoptr(GPtrArray) configs = NULL;

		what = "GetEimConfigurationData";
		configs = esim_es10_get_eim_configuration_data_finish (ctx->isdr, res, &error);
		ok = configs != NULL;
		for (guint i = 0; ok && i < configs->len; i++) {
			const EsimEimConfig *config = g_ptr_array_index (configs, i);

			if (g_strcmp0 (config->eim_id, eim_name (ctx)) == 0 && config->has_association_token) {
				ctx->has_token = TRUE;
				ctx->token = config->association_token;
			}
		}
		break;
	}
	default:
		g_assert_not_reached ();
	}
	if (!ok) {
		data_card_failed (task, error, what, code);
		return;
	}
	ctx->needs &= ~ctx->need;
	data_step (task);
}

/* Keeps the card's TLVs of @list that this eIM may see: its own results (the
 * card may hold other eIMs'), the one asked for when the request names one. */
static GPtrArray *
own_results (PackageContext *ctx)
{
	const EsimIpaEuiccDataRequest *request = ctx->package->ipa_euicc_data_request;
	GPtrArray *kept = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

	for (guint i = 0; ctx->results->package_results != NULL && i < ctx->results->package_results->len; i++) {
		GBytes *raw = g_ptr_array_index (ctx->results->package_results, i);
		g_autoptr(EsimEuiccPackageResult) epr = esim_es10_parse_euicc_package_result (raw, NULL);

		if (epr == NULL)
			continue;
		if (ctx->env.client != NULL && g_strcmp0 (epr->eim_id, eim_name (ctx)) != 0)
			continue;
		if (request->has_epr_search && epr->seq_number != (gint64) request->epr_seq_number)
			continue;
		g_ptr_array_add (kept, g_bytes_ref (raw));
	}
	return kept;
}

static void
data_build (GTask *task)
{
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimIpaEuiccDataRequest *request = ctx->package->ipa_euicc_data_request;
	EsimIpaEuiccData data = { 0 };
	EsimDeviceInfo default_info;
	g_autoptr(GPtrArray) notifications = NULL;
	g_autoptr(GPtrArray) results = NULL;
	g_autoptr(GError) error = NULL;
	GBytes *bf52;

	if (ctx->notifications != NULL) {
		notifications = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
		for (guint i = 0; ctx->notifications->notifications != NULL &&
		                  i < ctx->notifications->notifications->len; i++) {
			const EsimPendingNotification *n = g_ptr_array_index (ctx->notifications->notifications, i);

			g_ptr_array_add (notifications, g_bytes_ref (n->raw));
		}
		data.notifications = notifications;
	}
	if (ctx->results != NULL)
		data.euicc_package_results = results = own_results (ctx);
	if (ctx->addresses != NULL) {
		if (requested (request, ESIM_TAG_IPA_DATA_DEFAULT_SMDP))
			data.default_smdp_address = ctx->addresses->default_dp_address;
		if (requested (request, ESIM_TAG_IPA_DATA_ROOT_SMDS))
			data.root_smds_address = ctx->addresses->root_ds_address;
	}
	if (ctx->info1 != NULL)
		data.euicc_info1 = ctx->info1->raw;
	if (ctx->info2 != NULL)
		data.euicc_info2 = ctx->info2->raw;
	if (ctx->certs != NULL) {
		if (requested (request, ESIM_TAG_IPA_DATA_EUM_CERTIFICATE))
			data.eum_certificate = ctx->certs->eum_certificate;
		if (requested (request, ESIM_TAG_IPA_DATA_EUICC_CERTIFICATE))
			data.euicc_certificate = ctx->certs->euicc_certificate;
	}
	data.has_association_token = ctx->has_token;
	data.association_token = ctx->token;
	/* echoed whenever the request had one: the eIM matches the answer by it */
	data.eim_transaction_id = request->eim_transaction_id;
	if (requested (request, ESIM_TAG_IPA_DATA_CAPABILITIES)) {
		data.has_ipa_capabilities = TRUE;
		data.ipa_features = ipa_features (ctx);
		data.ipa_protocols = ctx->env.ipa_protocols != 0 ? ctx->env.ipa_protocols :
		                     ESIM_EIM_PACKAGE_DEFAULT_IPA_PROTOCOLS;
	}
	if (requested (request, ESIM_TAG_IPA_DATA_DEVICE_INFO)) {
		if (ctx->env.device_info == NULL) {
			esim_device_info_init (&default_info);
			data.device_info = &default_info;
		} else {
			data.device_info = ctx->env.device_info;
		}
	}
	bf52 = esim_esipa_build_ipa_euicc_data (&data, &error);
	if (bf52 == NULL) {
		/* e.g. a field the card gave that does not fit: the eIM hears of it */
		g_warning ("eIM %s: ipaEuiccDataResponse: %s", eim_name (ctx), error->message);
		return_data_error (task, ESIM_ESIPA_UNDEFINED_ERROR);
		return;
	}
	ctx->outcome->result = result_new (ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA);
	ctx->outcome->result->ipa_euicc_data_response = bf52;
	g_task_return_pointer (task, g_steal_pointer (&ctx->outcome),
	                       (GDestroyNotify) esim_eim_package_outcome_free);
}

static void
data_step (GTask *task)
{
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimIpaEuiccDataRequest *request = ctx->package->ipa_euicc_data_request;
	GCancellable *cancellable = g_task_get_cancellable (task);
	g_autofree gchar *ci_pkid = NULL;

	if (g_task_return_error_if_cancelled (task))
		return;
	/* the lowest need first: the module's order, and one call each */
	for (ctx->need = NEED_NOTIFICATIONS; ctx->need < NEED_LAST; ctx->need <<= 1) {
		if ((ctx->needs & ctx->need) != 0)
			break;
	}
	switch (ctx->need) {
	case NEED_NOTIFICATIONS:
		esim_es10_retrieve_notifications_list (ctx->isdr, request->notification_search,
		                                       request->notification_search_value, cancellable,
		                                       data_ready, g_object_ref (task));
		return;
	case NEED_RESULTS:
		esim_es10_retrieve_notifications_list (ctx->isdr, ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS, 0,
		                                       cancellable, data_ready, g_object_ref (task));
		return;
	case NEED_ADDRESSES:
		esim_es10_get_configured_addresses (ctx->isdr, cancellable, data_ready, g_object_ref (task));
		return;
	case NEED_INFO1:
		esim_es10_get_euicc_info1 (ctx->isdr, cancellable, data_ready, g_object_ref (task));
		return;
	case NEED_INFO2:
		esim_es10_get_euicc_info2 (ctx->isdr, cancellable, data_ready, g_object_ref (task));
		return;
	case NEED_CERTS:
		if (request->euicc_ci_pkid != NULL) {
			gsize len;
			const guint8 *id = g_bytes_get_data (request->euicc_ci_pkid, &len);

			ci_pkid = esim_hex_encode (id, len);
		}
		esim_es10_get_certs (ctx->isdr, ci_pkid, cancellable, data_ready, g_object_ref (task));
		return;
	case NEED_TOKEN:
		esim_es10_get_eim_configuration_data (ctx->isdr, ctx->env.client != NULL ? eim_name (ctx) : NULL,
		                                      cancellable, data_ready, g_object_ref (task));
		return;
	default:
		data_build (task);
		return;
	}
}

static void
data_start (GTask *task)
{
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimIpaEuiccDataRequest *request = ctx->package->ipa_euicc_data_request;

	for (guint i = 0; i < request->tags->len; i++) {
		EsimTag tag = g_array_index (request->tags, EsimTag, i);

		/* a tag v1.2's IpaEuiccData does not define: as a vendor IPA does */
		if (esim_esipa_ipa_euicc_data_tag_name (tag) == NULL) {
			g_info ("eIM %s: ipaEuiccDataRequest asks for tag %X, which IpaEuiccData has not: "
			        "incorrectTagList", eim_name (ctx), tag);
			return_data_error (task, ESIM_IPA_EUICC_DATA_INCORRECT_TAG_LIST);
			return;
		}
		ctx->needs |= tag_need (tag);
	}
	data_step (task);
}

/* ---- profileDownloadTriggerRequest ---- */

static void
return_download_error (GTask *task, GBytes *error_response)
{
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimProfileDownloadTrigger *trigger = ctx->package->profile_download_trigger;
	g_autoptr(GError) error = NULL;
	GBytes *bf54;

	bf54 = esim_esipa_build_download_trigger_error (trigger->eim_transaction_id, ESIM_ESIPA_UNDEFINED_ERROR,
	                                                error_response, &error);
	if (bf54 == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	ctx->outcome->result = result_new (ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER);
	ctx->outcome->result->profile_download_trigger_result = bf54;
	g_task_return_pointer (task, g_steal_pointer (&ctx->outcome),
	                       (GDestroyNotify) esim_eim_package_outcome_free);
}

static void
download_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimProfileDownloadTrigger *trigger = ctx->package->profile_download_trigger;
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GBytes) installation = NULL;
	g_autoptr(GBytes) error_response = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;
	GBytes *bf54;

	result = esim_download_finish (res, &failure, &error);
	installation = esim_download_get_installation_result (res);
	if (installation != NULL) {
		/* installed or not, the card signed its answer: that is the result */
		ctx->outcome->changed |= ESIM_EIM_PACKAGE_CHANGED_NOTIFICATIONS;
		if (result != NULL)
			ctx->outcome->changed |= ESIM_EIM_PACKAGE_CHANGED_PROFILES;
		else
			g_info ("eIM %s: download failed at %s: %s", eim_name (ctx),
			        esim_download_step_to_string (failure.step), error->message);
		bf54 = esim_esipa_build_download_trigger_result (trigger->eim_transaction_id, installation, &error);
		if (bf54 == NULL) {
			g_task_return_error (task, g_steal_pointer (&error));
			return;
		}
		ctx->outcome->result = result_new (ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER);
		ctx->outcome->result->profile_download_trigger_result = bf54;
		g_task_return_pointer (task, g_steal_pointer (&ctx->outcome),
		                       (GDestroyNotify) esim_eim_package_outcome_free);
		return;
	}
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    (error->domain == ESIM_APDU_ERROR && !card_refused (error))) {
		/* no session left on the card (the flow cancelled it); the card or the
		 * caller went away: nothing to tell */
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_info ("eIM %s: download failed at %s: %s", eim_name (ctx),
	        esim_download_step_to_string (failure.step), error->message);
	error_response = esim_download_get_error_response (res);
	return_download_error (task, error_response);
}

static void
download_run (GTask *task)
{
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimProfileDownloadTrigger *trigger = ctx->package->profile_download_trigger;
	const EsimEimConfig *config = ctx->env.eim_config != NULL ? ctx->env.eim_config : ctx->eim_config;
	EsimDownloadParams params = { 0 };
	g_autoptr(EsimRspServer) server = NULL;
	g_autoptr(GError) error = NULL;
	guint features = ipa_features (ctx);

	if (ctx->env.client != NULL && config != NULL && config->indirect_profile_download &&
	    (features & ESIM_IPA_FEATURE_INDIRECT_RSP) != 0) {
		g_info ("eIM %s: indirect download (relayed by the eIM)", eim_name (ctx));
		server = esim_esipa_client_new_relay (ctx->env.client, trigger->eim_transaction_id);
	} else if ((features & ESIM_IPA_FEATURE_DIRECT_RSP) != 0 && ctx->env.new_smdp_server != NULL) {
		g_info ("eIM %s: direct download (ES9+)", eim_name (ctx));
		server = ctx->env.new_smdp_server (ctx->smdp_address, ctx->env.new_smdp_data, &error);
		if (server == NULL) {
			g_warning ("eIM %s: no SM-DP+ client for the download: %s", eim_name (ctx), error->message);
			return_download_error (task, NULL);
			return;
		}
	} else {
		g_warning ("eIM %s: the trigger needs a direct download, which is not available here",
		           eim_name (ctx));
		return_download_error (task, NULL);
		return;
	}
	params.smdp_address = ctx->smdp_address;
	params.matching_id = ctx->matching_id;
	params.device_info = ctx->env.device_info;
	esim_download_async (ctx->isdr, server, &params, NULL, NULL, g_task_get_cancellable (task),
	                     download_ready, g_object_ref (task));
}

static void
download_address_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PackageContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	ctx->addresses = esim_es10_get_configured_addresses_finish (ctx->isdr, res, &error);
	if (ctx->addresses == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (ctx->addresses->default_dp_address == NULL) {
		g_warning ("eIM %s: contactDefaultSmdp, and the card has no default SM-DP+", eim_name (ctx));
		return_download_error (task, NULL);
		return;
	}
	ctx->smdp_address = g_strdup (ctx->addresses->default_dp_address);
	ctx->download_step++;
	download_step (task);
}

static void
download_config_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PackageContext *ctx = g_task_get_task_data (task);
	g_autoptr(GPtrArray) configs = NULL;
	g_autoptr(GError) error = NULL;

	configs = esim_es10_get_eim_configuration_data_finish (ctx->isdr, res, &error);
	if (configs == NULL) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	for (guint i = 0; i < configs->len; i++) {
		EsimEimConfig *config = g_ptr_array_index (configs, i);

		if (g_strcmp0 (config->eim_id, eim_name (ctx)) == 0)
			ctx->eim_config = g_ptr_array_steal_index (configs, i);
	}
	ctx->download_step++;
	download_step (task);
}

/* The trigger's SM-DP+ and matching ID, or an error result for the eIM. */
static gboolean
download_read_trigger (GTask *task)
{
	PackageContext *ctx = g_task_get_task_data (task);
	const EsimProfileDownloadTrigger *trigger = ctx->package->profile_download_trigger;
	g_autoptr(EsimActivationCode) code = NULL;
	g_autoptr(GError) error = NULL;

	switch (trigger->kind) {
	case ESIM_DOWNLOAD_TRIGGER_ACTIVATION_CODE:
		code = esim_activation_code_parse (trigger->activation_code, &error);
		if (code == NULL) {
			g_warning ("eIM %s: the trigger's activation code is unusable: %s", eim_name (ctx),
			           error->message);
			return FALSE;
		}
		if (code->confirmation_code_required) {
			/* nobody at the device to type it */
			g_warning ("eIM %s: the activation code wants a confirmation code", eim_name (ctx));
			return FALSE;
		}
		ctx->smdp_address = g_strdup (code->smdp_address);
		ctx->matching_id = g_strdup (code->matching_id);
		return TRUE;
	case ESIM_DOWNLOAD_TRIGGER_DEFAULT_SMDP:
		return TRUE;   /* the address comes from the card */
	case ESIM_DOWNLOAD_TRIGGER_SMDS:
	case ESIM_DOWNLOAD_TRIGGER_NONE:
	default:
		g_warning ("eIM %s: download trigger without an activation code or default SM-DP+ "
		           "(an SM-DS event search): not supported", eim_name (ctx));
		return FALSE;
	}
}

static void
download_step (GTask *task)
{
	PackageContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);

	if (g_task_return_error_if_cancelled (task))
		return;
	switch (ctx->download_step) {
	case DOWNLOAD_STEP_FIRST:
		if (!download_read_trigger (task)) {
			return_download_error (task, NULL);
			return;
		}
		ctx->download_step++;
		/* fall through */
	case DOWNLOAD_STEP_ADDRESS:
		if (ctx->smdp_address == NULL) {
			esim_es10_get_configured_addresses (ctx->isdr, cancellable, download_address_ready,
			                                    g_object_ref (task));
			return;
		}
		ctx->download_step++;
		/* fall through */
	case DOWNLOAD_STEP_CONFIG:
		if (ctx->env.eim_config == NULL && ctx->env.client != NULL) {
			esim_es10_get_eim_configuration_data (ctx->isdr, eim_name (ctx), cancellable,
			                                      download_config_ready, g_object_ref (task));
			return;
		}
		ctx->download_step++;
		/* fall through */
	case DOWNLOAD_STEP_RUN:
		download_run (task);
		return;
	case DOWNLOAD_STEP_LAST:
	default:
		g_assert_not_reached ();
	}
}

/* ---- eimAcknowledgements ---- */

static void
remove_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PackageContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	guint64 seq = g_array_index (ctx->package->acknowledgements, guint64, ctx->index);

	if (!esim_es10_remove_notification_finish (ctx->isdr, res, &error)) {
		if (!card_refused (error)) {
			g_task_return_error (task, g_steal_pointer (&error));
			return;
		}
		/* removed before (a repeat), or never there */
		g_info ("eIM %s: acknowledged seq %" G_GUINT64_FORMAT " not removed: %s", eim_name (ctx), seq,
		        error->message);
	}
	ctx->outcome->changed |= ESIM_EIM_PACKAGE_CHANGED_NOTIFICATIONS;
	ctx->index++;
	acknowledgements_step (task);
}

static void
acknowledgements_step (GTask *task)
{
	PackageContext *ctx = g_task_get_task_data (task);
	GArray *acks = ctx->package->acknowledgements;

	if (g_task_return_error_if_cancelled (task))
		return;
	if (acks == NULL || ctx->index >= acks->len) {
		g_task_return_pointer (task, g_steal_pointer (&ctx->outcome),
		                       (GDestroyNotify) esim_eim_package_outcome_free);
		return;
	}
	esim_es10_remove_notification (ctx->isdr, g_array_index (acks, guint64, ctx->index),
	                               g_task_get_cancellable (task), remove_ready, g_object_ref (task));
}

/* ---- entry ---- */

void
esim_eim_package_execute_async (EsimIsdr *isdr, const EsimEimPackage *package, const EsimEimPackageEnv *env,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	PackageContext *ctx;

	g_return_if_fail (package != NULL);
	task = g_task_new (NULL, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_eim_package_execute_async);
	ctx = g_new0 (PackageContext, 1);
	ctx->isdr = g_object_ref (isdr);
	ctx->package = package;
	if (env != NULL)
		ctx->env = *env;
	ctx->outcome = g_new0 (EsimEimPackageOutcome, 1);
	ctx->outcome->seq_number = -1;
	g_task_set_task_data (task, ctx, (GDestroyNotify) package_context_free);

	switch (package->kind) {
	case ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST:
		g_info ("eIM %s: euiccPackageRequest (%s, counter %" G_GUINT64_FORMAT ")", eim_name (ctx),
		        package->euicc_package_request->is_eco ? "eCOs" : "PSMOs",
		        package->euicc_package_request->counter_value);
		/* the bytes the eIM signed, as they came */
		esim_es10_load_euicc_package (isdr, package->euicc_package_request->raw, cancellable,
		                              load_euicc_package_ready, g_steal_pointer (&task));
		return;
	case ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST:
		g_info ("eIM %s: ipaEuiccDataRequest (%u tags)", eim_name (ctx),
		        package->ipa_euicc_data_request->tags->len);
		data_start (task);
		return;
	case ESIM_EIM_PACKAGE_PROFILE_DOWNLOAD_TRIGGER:
		g_info ("eIM %s: profileDownloadTriggerRequest", eim_name (ctx));
		download_step (task);
		return;
	case ESIM_EIM_PACKAGE_ACKNOWLEDGEMENTS:
		acknowledgements_step (task);
		return;
	case ESIM_EIM_PACKAGE_ERROR:
	default:
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "eimPackageError %s (%d) is no package to execute",
		                         esim_esipa_eim_package_error_to_string (package->error_code),
		                         package->error_code);
		return;
	}
}

EsimEimPackageOutcome *
esim_eim_package_execute_finish (GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, NULL), NULL);
	g_return_val_if_fail (g_task_get_source_tag (G_TASK (res)) == esim_eim_package_execute_async, NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}
