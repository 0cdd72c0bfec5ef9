/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Euicc.DownloadProfile: the arguments (activation code, options) checked
 * without the card, then one operation on the eUICC's queue:
 *
 *   [probe if the eUICC is in error] -> open ISD-R -> GetEUICCInfo1 (the CIs
 *   the eUICC lists are the TLS trust of the SM-DP+ connection) -> the
 *   download flow (src/flows/esim-download.h) over a new ES9+ client ->
 *   re-read profiles, notifications and EUICCInfo2 -> [enable the new profile
 *   through the switch lifecycle, with the "enable" option]
 *
 * The reply is the new profile's object path.  Errors become the download's
 * D-Bus errors here, where it is known which side failed (download_error_normalize).
 * The install notification stays on the card (delivery is the notification flow's).
 *
 * Personal data: the activation code and the matching ID are logged masked
 * (esim_log_personal), the confirmation code never; the request wipes it.
 */

#include <string.h>

#include "esim-ci-store.h"
#include "esim-download.h"
#include "esim-es9p-client.h"
#include "esim-tls-database.h"
#include "esim-util.h"
#include "esimd-trust.h"
#include "esimd-error.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"
#include "esimd-profile.h"

#define DOWNLOAD_OP_NAME "download-profile"
/* a confirmation code is a few digits or letters; more is not one */
#define CONFIRMATION_CODE_MAX_BYTES 64

/* percent of the steps after the flow's (which end at 95) */
#define PERCENT_REFRESH 96
#define PERCENT_ENABLE  97

/* ---- validation ---- */

static gboolean
download_invalid (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
download_invalid (GError **error, const gchar *format, ...)
{
	va_list args;

	va_start (args, format);
	g_propagate_error (error, g_error_new_valist (ESIMD_ERROR, ESIMD_ERROR_INVALID_ARGS, format,
	                                              args));
	va_end (args);
	return FALSE;
}

static gboolean
download_take_confirmation_code (EsimdRequest *request, GVariant *value, GError **error)
{
	const gchar *code;

	if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
		return download_invalid (error, "option \"confirmation-code\" must be a string (s), "
		                         "not %s", g_variant_get_type_string (value));
	code = g_variant_get_string (value, NULL);
	if (*code == '\0')
		return download_invalid (error, "the confirmation code is empty");
	if (strlen (code) > CONFIRMATION_CODE_MAX_BYTES)
		return download_invalid (error, "the confirmation code is longer than %u bytes",
		                         (guint) CONFIRMATION_CODE_MAX_BYTES);
	if (!g_utf8_validate (code, -1, NULL))
		return download_invalid (error, "the confirmation code is not valid UTF-8");
	for (const gchar *p = code; *p != '\0'; p++) {
		if (g_ascii_iscntrl (*p))
			return download_invalid (error, "the confirmation code holds a control "
			                         "character");
	}
	request->confirmation_code = g_strdup (code);
	return TRUE;
}

static gboolean
download_take_options (EsimdRequest *request, GVariant *options, GError **error)
{
	GVariantIter iter;
	const gchar *key;
	GVariant *raw;

	g_variant_iter_init (&iter, options);
	while (g_variant_iter_next (&iter, "{&sv}", &key, &raw)) {
		g_autoptr(GVariant) value = raw;

		if (g_str_equal (key, "confirmation-code")) {
			if (!download_take_confirmation_code (request, value, error))
				return FALSE;
		} else if (g_str_equal (key, "enable")) {
			if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
				return download_invalid (error, "option \"enable\" must be a boolean (b), "
				                         "not %s", g_variant_get_type_string (value));
			request->enable = g_variant_get_boolean (value);
		} else {
			return download_invalid (error, "unknown option \"%s\"", key);
		}
	}
	return TRUE;
}

gboolean
esimd_request_validate_download (EsimdRequest *request, GError **error)
{
	g_autoptr(GVariant) options = NULL;
	g_autoptr(GError) local = NULL;
	const gchar *text = NULL;

	if (request->arg == NULL || !g_variant_is_of_type (request->arg, G_VARIANT_TYPE ("(sa{sv})")))
		return download_invalid (error, "an activation code and options are required");
	g_variant_get (request->arg, "(&s@a{sv})", &text, &options);
	if (!download_take_options (request, options, error))
		return FALSE;
	request->activation_code = esim_activation_code_parse (text, &local);
	if (request->activation_code == NULL)
		/* the parser's message names the field ("activation code's matching ID …") */
		return download_invalid (error, "%s", local->message);
	/* the code says so: no session to start and cancel again */
	if (request->activation_code->confirmation_code_required &&
	    request->confirmation_code == NULL) {
		g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_CONFIRMATION_CODE_REQUIRED,
		                     "the activation code says that a confirmation code is required, "
		                     "and none was given");
		return FALSE;
	}
	return TRUE;
}

/* ---- errors ---- */

/* The D-Bus error of a download that failed at @step with @error. */
static GError *
download_error_normalize (const GError *error, EsimDownloadStep step)
{
	g_autofree gchar *subject = NULL;
	g_autofree gchar *reason = NULL;
	gint code = -1;

	if (error->domain == ESIM_DOWNLOAD_ERROR) {
		switch ((EsimDownloadError) error->code) {
		case ESIM_DOWNLOAD_ERROR_CONFIRMATION_CODE_REQUIRED:
			code = ESIMD_ERROR_CONFIRMATION_CODE_REQUIRED;
			break;
		case ESIM_DOWNLOAD_ERROR_ALREADY_INSTALLED:
			code = ESIMD_ERROR_ALREADY_INSTALLED;
			break;
		case ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH:
		case ESIM_DOWNLOAD_ERROR_INCONSISTENT:
			code = ESIMD_ERROR_SERVER_ERROR;
			break;
		case ESIM_DOWNLOAD_ERROR_PPR_NOT_ALLOWED:
		default:
			code = ESIMD_ERROR_FAILED;
			break;
		}
	} else if (error->domain == ESIM_ES10_ERROR) {
		/* the card's verdict on what the SM-DP+ sent */
		if (error->code == ESIM_ES10_ERROR_ALREADY_EXISTS)
			code = ESIMD_ERROR_ALREADY_INSTALLED;
		else if (error->code == ESIM_ES10_ERROR_NO_MEMORY)
			code = ESIMD_ERROR_CARD_FULL;
		else if (error->code == ESIM_ES10_ERROR_CERTIFICATE ||
		         error->code == ESIM_ES10_ERROR_VERIFICATION_FAILED ||
		         error->code == ESIM_ES10_ERROR_DISALLOWED_BY_POLICY)
			code = ESIMD_ERROR_CARD_REFUSED;
	} else if (esim_download_error_get_status_codes (error, &subject, &reason)) {
		/* SGP.22 §5.6.2: 8.2.7 is the confirmation code, 2.2 missing, 3.8 refused,
		 * 6.4 no more attempts */
		if (g_str_equal (subject, "8.2.7"))
			code = g_str_equal (reason, "2.2") ? ESIMD_ERROR_CONFIRMATION_CODE_REQUIRED :
			                                     ESIMD_ERROR_CONFIRMATION_CODE_REFUSED;
		else
			code = ESIMD_ERROR_SERVER_ERROR;
	} else if (error->domain == ESIM_ES9P_ERROR) {
		code = ESIMD_ERROR_SERVER_ERROR;
	} else if (esim_download_step_is_server (step) && error->domain == G_TLS_ERROR) {
		code = error->code == G_TLS_ERROR_BAD_CERTIFICATE ||
		       error->code == G_TLS_ERROR_CERTIFICATE_REQUIRED ?
		       ESIMD_ERROR_SERVER_NOT_TRUSTED : ESIMD_ERROR_SERVER_ERROR;
	} else if (esim_download_step_is_server (step) && error->domain == G_IO_ERROR) {
		switch (error->code) {
		case G_IO_ERROR_CANCELLED:
			break;
		case G_IO_ERROR_TIMED_OUT:
			code = ESIMD_ERROR_TIMEOUT;
			break;
		case G_IO_ERROR_HOST_NOT_FOUND:
		case G_IO_ERROR_CONNECTION_REFUSED:
		case G_IO_ERROR_NETWORK_UNREACHABLE:
		case G_IO_ERROR_HOST_UNREACHABLE:
			code = ESIMD_ERROR_SERVER_UNREACHABLE;
			break;
		default:
			/* broken off, HTTP errors, answers too large */
			code = ESIMD_ERROR_SERVER_ERROR;
			break;
		}
	}
	if (code < 0)
		return esimd_error_normalize (error);
	return g_error_new_literal (ESIMD_ERROR, code, error->message);
}

/* ---- the operation ---- */

typedef enum {
	DL_STEP_FIRST,
	DL_STEP_PROBE,
	DL_STEP_OPEN,
	DL_STEP_INFO1,
	DL_STEP_FLOW,
	DL_STEP_REFRESH,
	DL_STEP_ENABLE,
	DL_STEP_LAST,
} DownloadStep;

typedef struct {
	EsimdRequest       *request;   /* owned by the eUICC while it runs */
	DownloadStep        step;
	EsimEuiccInfo1     *info1;
	EsimEs9pClient     *client;
	EsimDownloadResult *result;
	EsimdRequest       *enable;    /* the switch's part of this operation */
	gchar              *profile_path;
	guint               refresh_flags;
	GError             *error;     /* the download's failure, after the refresh */
} DownloadContext;

static void download_step (GTask *task);

static void
download_context_free (DownloadContext *ctx)
{
	g_clear_pointer (&ctx->info1, esim_euicc_info1_free);
	if (ctx->client != NULL)
		esim_http_client_close (esim_es9p_client_get_http (ctx->client));
	g_clear_object (&ctx->client);
	g_clear_pointer (&ctx->result, esim_download_result_free);
	g_clear_pointer (&ctx->enable, esimd_request_free);
	g_free (ctx->profile_path);
	g_clear_error (&ctx->error);
	g_free (ctx);
}

static void
download_next (GTask *task)
{
	DownloadContext *ctx = g_task_get_task_data (task);

	ctx->step++;
	download_step (task);
}

static void
download_fail (GTask *task, GError *error)
{
	g_task_return_error (task, error);
	g_object_unref (task);
}

static void
download_emit (EsimdEuicc *self, const gchar *step, guint percent)
{
	esimd_gdbus_euicc_emit_progress (self->skeleton, DOWNLOAD_OP_NAME, percent);
	esimd_gdbus_euicc_emit_progress_step (self->skeleton, DOWNLOAD_OP_NAME, step, percent);
}

static void
download_progress (EsimDownloadStep step, guint percent, gpointer user_data)
{
	download_emit (ESIMD_EUICC (user_data), esim_download_step_to_string (step), percent);
}

static void
download_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	GError *error = NULL;

	if (!esimd_euicc_refresh_finish (ESIMD_EUICC (source), res, &error)) {
		download_fail (task, error);
		return;
	}
	download_next (task);
}

static void
download_open_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	GError *error = NULL;

	if (!esim_isdr_open_finish (ESIM_ISDR (source), res, &error)) {
		download_fail (task, error);
		return;
	}
	download_next (task);
}

static void
download_info1_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->info1 = esim_es10_get_euicc_info1_finish (ESIM_ISDR (source), res, &error);
	if (ctx->info1 == NULL) {
		download_fail (task, error);
		return;
	}
	download_next (task);
}

/* The TLS trust of this eUICC's ES9+ connection: the CIs it lists and the system's,
 * as for its notifications (esimd-trust.h). */
static GTlsDatabase *
download_trust (EsimdEuicc *self, DownloadContext *ctx)
{
	return esimd_trust_new_database (self->config, ctx->info1->ci_pkids_verification);
}

/* The device as the SM-DP+ is told of it: the modem's IMEI and radios, when there is one. */
static void
download_device_info (EsimdEuicc *self, EsimDeviceInfo *info)
{
	esim_device_info_init (info);
	if (self->modem == NULL)
		return;
	info->imei = self->modem->imei;
	esim_device_info_declare_radios (info, self->modem->radios);
}

static void
download_flow_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	DownloadContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	ctx->result = esim_download_finish (res, &failure, &error);
	esim_http_client_close (esim_es9p_client_get_http (ctx->client));
	if (ctx->result == NULL) {
		if (error->domain == ESIM_APDU_ERROR)
			self->healthy = FALSE;
		ctx->error = download_error_normalize (error, failure.step);
		/* a failed install leaves its result on the card as a notification */
		if (failure.step != ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE || !self->healthy) {
			download_fail (task, g_steal_pointer (&ctx->error));
			return;
		}
		ctx->refresh_flags = ESIMD_REFRESH_NOTIFICATIONS | ESIMD_REFRESH_PROFILES;
	}
	download_next (task);
}

static void
download_run_flow (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	DownloadContext *ctx = g_task_get_task_data (task);
	EsimActivationCode *code = ctx->request->activation_code;
	g_autoptr(GTlsDatabase) trust = download_trust (self, ctx);
	g_autoptr(GPtrArray) installed = g_ptr_array_new ();
	g_autofree gchar *matching_log = esim_log_personal (code->matching_id);
	EsimDownloadParams params = { 0 };
	EsimDeviceInfo device;
	GHashTableIter iter;
	gpointer iccid;
	GError *error = NULL;

	ctx->client = esim_es9p_client_new (code->smdp_address, trust, &error);
	if (ctx->client == NULL) {
		download_fail (task, error);
		return;
	}
	esim_http_client_set_timeout (esim_es9p_client_get_http (ctx->client),
	                              self->config->request_timeout_s);
	g_hash_table_iter_init (&iter, self->profiles);
	while (g_hash_table_iter_next (&iter, &iccid, NULL))
		g_ptr_array_add (installed, iccid);
	g_ptr_array_add (installed, NULL);
	download_device_info (self, &device);
	params.smdp_address = code->smdp_address;
	params.matching_id = code->matching_id;
	params.confirmation_code = ctx->request->confirmation_code;
	params.device_info = &device;
	params.installed_iccids = (const gchar *const *) installed->pdata;
	esimd_obj_info (self->log_id, "downloading a profile from the SM-DP+ %s (matching ID %s, "
	                "%s confirmation code, %u CIs trusted)", code->smdp_address, matching_log,
	                params.confirmation_code != NULL ? "with" : "no",
	                esim_tls_database_get_n_cis (ESIM_TLS_DATABASE (trust)));
	esim_download_async (self->isdr, ESIM_RSP_SERVER (ctx->client), &params, download_progress,
	                     self, g_task_get_cancellable (task), download_flow_ready, task);
}

static void
download_refresh_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = ESIMD_EUICC (source);
	g_autoptr(GError) error = NULL;

	/* the profile is installed whatever the refresh says: the next read shows it */
	if (!esimd_euicc_refresh_finish (self, res, &error))
		esimd_obj_warn (self->log_id, "reading the eUICC after the download failed: %s",
		                error->message);
	download_next (task);
}

/* The installed profile's object, once the card was read again. */
static gboolean
download_find_profile (EsimdEuicc *self, DownloadContext *ctx, GError **error)
{
	EsimdProfile *profile = ctx->result->iccid != NULL ?
	                        g_hash_table_lookup (self->profiles, ctx->result->iccid) : NULL;
	g_autofree gchar *iccid_log = esim_log_personal (ctx->result->iccid);

	if (profile == NULL) {
		g_set_error (error, ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		             "the eUICC installed profile %s but does not list it", iccid_log);
		return FALSE;
	}
	ctx->profile_path = g_strdup (esimd_profile_get_path (profile));
	esimd_obj_info (self->log_id, "profile %s downloaded: %s", iccid_log, ctx->profile_path);
	return TRUE;
}

static void
download_enable_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_switch_finish (ESIMD_EUICC (source), res, &error)) {
		g_autoptr(GError) normalized = esimd_error_normalize (error);
		g_autofree gchar *iccid_log = esim_log_personal (ctx->result->iccid);

		/* the download worked: say so, with the enable's own error */
		download_fail (task, g_error_new (ESIMD_ERROR, normalized->code,
		                                  "profile %s is installed (%s), but enabling it "
		                                  "failed: %s", iccid_log, ctx->profile_path,
		                                  normalized->message));
		return;
	}
	download_next (task);
}

/* Sends nowhere: the enable is part of the download, answered through it. */
static void
download_enable_answered (EsimdRequest *request, const GError *error, GVariant *reply,
                          gpointer user_data)
{
}

static void
download_enable (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	DownloadContext *ctx = g_task_get_task_data (task);

	ctx->enable = esimd_request_new (self, ESIMD_OP_ENABLE_PROFILE, ctx->result->iccid, NULL,
	                                 download_enable_answered, NULL);
	ctx->enable->completed = TRUE;
	ctx->enable->refresh = self->refresh_default;
	download_emit (self, esimd_op_get_name (ESIMD_OP_ENABLE_PROFILE), PERCENT_ENABLE);
	esimd_euicc_switch_async (self, ctx->enable, g_task_get_cancellable (task),
	                          download_enable_ready, task);
}

static void
download_step (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	DownloadContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);
	GError *error = NULL;

	switch (ctx->step) {
	case DL_STEP_FIRST:
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case DL_STEP_PROBE:
		if (!self->healthy) {
			esimd_euicc_refresh_async (self, ESIMD_REFRESH_ALL, cancellable,
			                           download_probe_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case DL_STEP_OPEN:
		if (!esimd_euicc_isdr_is_open (self)) {
			esim_isdr_open_async (self->isdr, cancellable, download_open_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case DL_STEP_INFO1:
		esim_es10_get_euicc_info1 (self->isdr, cancellable, download_info1_ready, task);
		return;
	case DL_STEP_FLOW:
		download_run_flow (task);
		return;
	case DL_STEP_REFRESH:
		download_emit (self, "refresh", PERCENT_REFRESH);
		/* deleting makes room, installing takes it: EUICCInfo2 carries the free space */
		esimd_euicc_refresh_async (self, ctx->refresh_flags != 0 ? ctx->refresh_flags :
		                           ESIMD_REFRESH_PROFILES | ESIMD_REFRESH_NOTIFICATIONS |
		                           ESIMD_REFRESH_INFO, cancellable, download_refresh_ready,
		                           task);
		return;
	case DL_STEP_ENABLE:
		if (ctx->error != NULL) {
			download_fail (task, g_steal_pointer (&ctx->error));
			return;
		}
		if (!download_find_profile (self, ctx, &error)) {
			download_fail (task, error);
			return;
		}
		ctx->request->reply = g_variant_ref_sink (g_variant_new_object_path (ctx->profile_path));
		if (ctx->request->enable) {
			download_enable (task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case DL_STEP_LAST:
		g_task_return_boolean (task, TRUE);
		g_object_unref (task);
		return;
	default:
		g_assert_not_reached ();
	}
}

void
esimd_euicc_download_async (EsimdEuicc *self, EsimdRequest *request, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;
	DownloadContext *ctx;

	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (request != NULL && request->kind == ESIMD_OP_DOWNLOAD_PROFILE);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_download_async);
	/* the flow decides what a cancel means (the session ends on both sides first) */
	g_task_set_check_cancellable (task, FALSE);
	ctx = g_new0 (DownloadContext, 1);
	ctx->request = request;
	ctx->step = DL_STEP_FIRST;
	g_task_set_task_data (task, ctx, (GDestroyNotify) download_context_free);
	download_step (task);
}

gboolean
esimd_euicc_download_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}
