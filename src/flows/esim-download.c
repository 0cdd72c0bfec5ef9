/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The download step machine (esim-download.h says what it does and why).
 * One GTask, one context, one step function in ModemManager's style: each
 * asynchronous step's callback stores its result, moves ctx->step on and
 * calls download_step() again; a failure goes through download_fail(),
 * which picks the cancel steps the session needs.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-der.h"
#include "esim-download.h"
#include "esim-error.h"
#include "esim-es9p.h"
#include "esim-esipa.h"
#include "esim-util.h"

G_DEFINE_QUARK (esim-download-error-quark, esim_download_error)

/* progress: where each step starts; the package's segments fill LOAD_FIRST..LOAD_LAST */
#define PERCENT_LOAD_FIRST 40
#define PERCENT_LOAD_LAST  95

typedef enum {
	STEP_FIRST,
	STEP_EUICC_CHALLENGE,
	STEP_EUICC_INFO,
	STEP_INITIATE_AUTHENTICATION,
	STEP_AUTHENTICATE_SERVER,       /* after the checks of serverSigned1 */
	STEP_AUTHENTICATE_CLIENT,
	STEP_CHECK_PROFILE,
	STEP_PREPARE_DOWNLOAD,
	STEP_GET_BOUND_PROFILE_PACKAGE,
	STEP_CHECK_PACKAGE,
	STEP_LOAD_BOUND_PROFILE_PACKAGE,
	STEP_RESULT,
	/* after a failure */
	STEP_TELL_SERVER_REFUSAL,       /* authenticateClient with the card's error answer */
	STEP_CANCEL_CARD,
	STEP_CANCEL_SERVER,
	STEP_LAST,
} DownloadStep;

static const struct {
	EsimDownloadStep public_step;
	guint            percent;
} step_infos[] = {
	[STEP_FIRST] = { ESIM_DOWNLOAD_STEP_GET_EUICC_CHALLENGE, 0 },
	[STEP_EUICC_CHALLENGE] = { ESIM_DOWNLOAD_STEP_GET_EUICC_CHALLENGE, 2 },
	[STEP_EUICC_INFO] = { ESIM_DOWNLOAD_STEP_GET_EUICC_INFO, 4 },
	[STEP_INITIATE_AUTHENTICATION] = { ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION, 8 },
	[STEP_AUTHENTICATE_SERVER] = { ESIM_DOWNLOAD_STEP_AUTHENTICATE_SERVER, 15 },
	[STEP_AUTHENTICATE_CLIENT] = { ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT, 20 },
	[STEP_CHECK_PROFILE] = { ESIM_DOWNLOAD_STEP_CHECK_PROFILE, 25 },
	[STEP_PREPARE_DOWNLOAD] = { ESIM_DOWNLOAD_STEP_PREPARE_DOWNLOAD, 28 },
	[STEP_GET_BOUND_PROFILE_PACKAGE] = { ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, 32 },
	[STEP_CHECK_PACKAGE] = { ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, 38 },
	[STEP_LOAD_BOUND_PROFILE_PACKAGE] = { ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE,
	                                      PERCENT_LOAD_FIRST },
	[STEP_RESULT] = { ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE, PERCENT_LOAD_LAST },
	[STEP_TELL_SERVER_REFUSAL] = { ESIM_DOWNLOAD_STEP_CANCEL_SESSION, 0 },
	[STEP_CANCEL_CARD] = { ESIM_DOWNLOAD_STEP_CANCEL_SESSION, 0 },
	[STEP_CANCEL_SERVER] = { ESIM_DOWNLOAD_STEP_CANCEL_SESSION, 0 },
	[STEP_LAST] = { ESIM_DOWNLOAD_STEP_CANCEL_SESSION, 0 },
};

static const gchar *const step_names[] = {
	[ESIM_DOWNLOAD_STEP_GET_EUICC_CHALLENGE] = "get-euicc-challenge",
	[ESIM_DOWNLOAD_STEP_GET_EUICC_INFO] = "get-euicc-info",
	[ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION] = "initiate-authentication",
	[ESIM_DOWNLOAD_STEP_AUTHENTICATE_SERVER] = "authenticate-server",
	[ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT] = "authenticate-client",
	[ESIM_DOWNLOAD_STEP_CHECK_PROFILE] = "check-profile",
	[ESIM_DOWNLOAD_STEP_PREPARE_DOWNLOAD] = "prepare-download",
	[ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE] = "get-bound-profile-package",
	[ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE] = "load-bound-profile-package",
	[ESIM_DOWNLOAD_STEP_CANCEL_SESSION] = "cancel-session",
};

const gchar *
esim_download_step_to_string (EsimDownloadStep step)
{
	if (step < 0 || (guint) step >= G_N_ELEMENTS (step_names))
		return "unknown";
	return step_names[step];
}

gboolean
esim_download_step_is_server (EsimDownloadStep step)
{
	return step == ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION ||
	       step == ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT ||
	       step == ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE;
}

void
esim_download_result_free (EsimDownloadResult *result)
{
	if (result == NULL)
		return;
	g_free (result->iccid);
	g_free (result->isdp_aid);
	g_free (result->transaction_id);
	g_clear_pointer (&result->metadata, esim_profile_metadata_free);
	g_free (result);
}

/* ---- the mapping table of esim-download.h ---- */

static gboolean
is_server_refusal (const GError *error)
{
	return g_error_matches (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED) ||
	       g_error_matches (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_EXPIRED) ||
	       g_error_matches (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED) ||
	       g_error_matches (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_EXPIRED);
}

EsimCancelSessionReason
esim_download_cancel_reason (EsimDownloadStep step, const GError *error)
{
	g_return_val_if_fail (error != NULL, ESIM_CANCEL_SESSION_UNDEFINED);

	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return ESIM_CANCEL_SESSION_POSTPONED;
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) &&
	    esim_download_step_is_server (step))
		return ESIM_CANCEL_SESSION_TIMEOUT;
	if (error->domain == ESIM_DOWNLOAD_ERROR) {
		switch ((EsimDownloadError) error->code) {
		case ESIM_DOWNLOAD_ERROR_CONFIRMATION_CODE_REQUIRED:
			return ESIM_CANCEL_SESSION_END_USER_REJECTION;
		case ESIM_DOWNLOAD_ERROR_PPR_NOT_ALLOWED:
			return ESIM_CANCEL_SESSION_PPR_NOT_ALLOWED;
		case ESIM_DOWNLOAD_ERROR_ALREADY_INSTALLED:
		case ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH:
			return ESIM_CANCEL_SESSION_METADATA_MISMATCH;
		case ESIM_DOWNLOAD_ERROR_INCONSISTENT:
		default:
			return ESIM_CANCEL_SESSION_UNDEFINED;
		}
	}
	/* the package did not come, cannot be sent, or its load gave no result */
	if ((step == ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE && !is_server_refusal (error)) ||
	    step == ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE)
		return ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR;
	return ESIM_CANCEL_SESSION_UNDEFINED;
}

/* ---- the package's metadata ---- */

GBytes *
esim_download_bpp_metadata (GBytes *bound_profile_package, GError **error)
{
	g_autoptr(GByteArray) metadata = g_byte_array_new ();
	EsimTlv bpp, member, item;
	EsimTlvIter members, items;
	gboolean found = FALSE;
	gsize len = 0;
	const guint8 *data;

	g_return_val_if_fail (bound_profile_package != NULL, NULL);

	data = g_bytes_get_data (bound_profile_package, &len);
	if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_BOUND_PROFILE_PACKAGE, &bpp, error))
		return NULL;
	esim_tlv_iter_init (&members, &bpp);
	while (!found && esim_tlv_iter_next (&members, &member, NULL)) {
		if (member.tag != ESIM_TAG_BPP_STORE_METADATA_LIST)
			continue;
		found = TRUE;
		esim_tlv_iter_init (&items, &member);
		while (esim_tlv_iter_next (&items, &item, error)) {
			if (item.tag != ESIM_TAG_BPP_STORE_METADATA || item.len <= ESIM_BPP_SEGMENT_MAC_LENGTH) {
				g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
				             "sequenceOf88: an item is not an 88 with data and a MAC");
				return NULL;
			}
			g_byte_array_append (metadata, item.value, (guint) (item.len - ESIM_BPP_SEGMENT_MAC_LENGTH));
		}
		if (error != NULL && *error != NULL)
			return NULL;
	}
	if (!found || metadata->len == 0) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
		                     "the bound profile package has no StoreMetadataRequest (sequenceOf88)");
		return NULL;
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&metadata));
}

gboolean
esim_download_error_get_status_codes (const GError *error, gchar **subject_code,
                                      gchar **reason_code)
{
	const gchar *start;
	const gchar *comma;
	const gchar *end;

	if (error == NULL || !is_server_refusal (error) || error->domain != ESIM_ES9P_ERROR)
		return FALSE;
	/* the last "(subject S, reason R)": the server's own message may hold parentheses */
	start = g_strrstr (error->message, "(subject ");
	if (start == NULL)
		return FALSE;
	start += strlen ("(subject ");
	comma = strstr (start, ", reason ");
	end = comma != NULL ? strchr (comma, ')') : NULL;
	if (comma == NULL || end == NULL)
		return FALSE;
	if (subject_code != NULL)
		*subject_code = g_strndup (start, (gsize) (comma - start));
	if (reason_code != NULL)
		*reason_code = g_strndup (comma + strlen (", reason "),
		                          (gsize) (end - comma - strlen (", reason ")));
	return TRUE;
}

/* ---- the context ---- */

typedef struct {
	EsimIsdr                 *isdr;
	EsimRspServer            *server;
	/* the parameters, copied */
	gchar                    *smdp_address;
	gchar                    *matching_id;
	gchar                    *confirmation_code;
	EsimDeviceInfo            device_info;
	gchar                    *device_tac;
	gchar                    *device_imei;
	gchar                    *expected_iccid;
	GStrv                     installed_iccids;
	guint32                   refused_pprs;
	EsimDownloadProgressFunc  progress;
	gpointer                  progress_data;
	gchar                    *log_tag;        /* "SM-DP+ host (matching ID 12…)" for logs */

	DownloadStep              step;
	GBytes                   *challenge;
	EsimEuiccInfo1           *info1;
	EsimInitiateAuthenticationOk *initiated;
	EsimAuthenticateServerOk *authenticated;
	GBytes                   *card_refusal;   /* the card's BF38 error answer */
	EsimAuthenticateClientOk *client_ok;
	EsimProfileMetadata      *metadata;
	EsimSmdpSigned2          *signed2;
	EsimPrepareDownloadOk    *prepared;
	EsimBoundProfilePackageOk *package;
	GPtrArray                *segments;
	EsimProfileInstallationResult *result;
	EsimCancelSessionOk      *cancelled;
	gchar                    *transaction_id;
	gboolean                  session_open;   /* AuthenticateServer succeeded */
	guint                     percent;        /* last reported */

	GError                   *error;          /* the failure, returned at the end */
	EsimDownloadFailure       failure;
} DownloadContext;

static void
download_context_free (DownloadContext *ctx)
{
	g_clear_object (&ctx->isdr);
	g_clear_object (&ctx->server);
	g_free (ctx->smdp_address);
	g_free (ctx->matching_id);
	if (ctx->confirmation_code != NULL)
		memset (ctx->confirmation_code, 0, strlen (ctx->confirmation_code));
	g_free (ctx->confirmation_code);
	g_free (ctx->device_tac);
	g_free (ctx->device_imei);
	g_free (ctx->expected_iccid);
	g_strfreev (ctx->installed_iccids);
	g_free (ctx->log_tag);
	g_clear_pointer (&ctx->challenge, g_bytes_unref);
	g_clear_pointer (&ctx->info1, esim_euicc_info1_free);
	g_clear_pointer (&ctx->initiated, esim_initiate_authentication_ok_free);
	g_clear_pointer (&ctx->authenticated, esim_authenticate_server_ok_free);
	g_clear_pointer (&ctx->card_refusal, g_bytes_unref);
	g_clear_pointer (&ctx->client_ok, esim_authenticate_client_ok_free);
	g_clear_pointer (&ctx->metadata, esim_profile_metadata_free);
	g_clear_pointer (&ctx->signed2, esim_smdp_signed2_free);
	g_clear_pointer (&ctx->prepared, esim_prepare_download_ok_free);
	g_clear_pointer (&ctx->package, esim_bound_profile_package_ok_free);
	g_clear_pointer (&ctx->segments, g_ptr_array_unref);
	g_clear_pointer (&ctx->result, esim_profile_installation_result_free);
	g_clear_pointer (&ctx->cancelled, esim_cancel_session_ok_free);
	g_free (ctx->transaction_id);
	g_clear_error (&ctx->error);
	g_free (ctx);
}

static void download_step (GTask *task);

static EsimDownloadStep
public_step (DownloadStep step)
{
	return step_infos[step].public_step;
}

/* @percent 0: where the download was (the cancel steps) */
static void
report_progress (DownloadContext *ctx, EsimDownloadStep step, guint percent)
{
	if (percent > 0)
		ctx->percent = percent;
	if (ctx->progress != NULL)
		ctx->progress (step, ctx->percent, ctx->progress_data);
}

static void
download_next (GTask *task)
{
	DownloadContext *ctx = g_task_get_task_data (task);

	ctx->step++;
	download_step (task);
}

static const gchar *
server_function_of (EsimDownloadStep step)
{
	switch (step) {
	case ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION:
		return "initiateAuthentication";
	case ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT:
		return "authenticateClient";
	case ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE:
		return "getBoundProfilePackage";
	case ESIM_DOWNLOAD_STEP_CANCEL_SESSION:
		return "cancelSession";
	default:
		return NULL;
	}
}

/* A server's error, worded for a user: who refused what; a transport error (which
 * names the server) gets the request it broke. */
static void
prefix_server_error (DownloadContext *ctx, GError **error, EsimDownloadStep step)
{
	const gchar *function = server_function_of (step);
	const gchar *who = esim_rsp_server_get_description (ctx->server);

	if (function == NULL || (*error)->domain == ESIM_DOWNLOAD_ERROR ||
	    g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (is_server_refusal (*error))
		g_prefix_error (error, "the %s refused %s: ", who, function);
	else if (g_error_matches (*error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED) ||
	         g_error_matches (*error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED))
		g_prefix_error (error, "the %s answered %s with an invalid message: ", who, function);
	else {
		/* the transport's message names the server already: say which request failed */
		GError *suffixed = g_error_new ((*error)->domain, (*error)->code, "%s (ES9+ %s)",
		                                (*error)->message, function);

		g_error_free (*error);
		*error = suffixed;
	}
}

/*
 * Records @error (taken) as the download's failure and goes on with what the
 * session needs: the cancel on both sides once AuthenticateServer succeeded
 * (unless the card gave a ProfileInstallationResult), the card's refusal to
 * the server when it refused AuthenticateServer, else nothing.
 */
static void
download_fail (GTask *task, GError *error)
{
	DownloadContext *ctx = g_task_get_task_data (task);
	EsimDownloadStep step = public_step (ctx->step);

	prefix_server_error (ctx, &error, step);
	g_info ("download from %s failed at %s: %s", ctx->log_tag,
	        esim_download_step_to_string (step), error->message);
	ctx->error = error;
	ctx->failure.step = step;
	ctx->failure.cancel_reason = -1;
	if (ctx->session_open && ctx->result == NULL) {
		ctx->failure.cancel_reason = esim_download_cancel_reason (step, error);
		ctx->step = STEP_CANCEL_CARD;
	} else if (ctx->card_refusal != NULL) {
		ctx->step = STEP_TELL_SERVER_REFUSAL;
	} else {
		ctx->step = STEP_LAST;
	}
	download_step (task);
}

static void
download_fail_new (GTask *task, GQuark domain, gint code, const gchar *format, ...)
	G_GNUC_PRINTF (4, 5);

static void
download_fail_new (GTask *task, GQuark domain, gint code, const gchar *format, ...)
{
	va_list args;
	GError *error;

	va_start (args, format);
	error = g_error_new_valist (domain, code, format, args);
	va_end (args);
	download_fail (task, error);
}

/* Card errors without the ES10 function in their message get it. */
static GError *
card_error (GError *error, const gchar *function)
{
	if (error->domain != ESIM_ES10_ERROR && error->domain != ESIM_DOWNLOAD_ERROR &&
	    !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_prefix_error (&error, "%s: ", function);
	return error;
}

/* ---- step callbacks ---- */

static void
challenge_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->challenge = esim_es10_get_euicc_challenge_finish (ESIM_ISDR (source), res, &error);
	if (ctx->challenge == NULL) {
		download_fail (task, card_error (error, "GetEuiccChallenge"));
		return;
	}
	download_next (task);
}

static void
info1_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->info1 = esim_es10_get_euicc_info1_finish (ESIM_ISDR (source), res, &error);
	if (ctx->info1 == NULL) {
		download_fail (task, card_error (error, "GetEUICCInfo1"));
		return;
	}
	download_next (task);
}

static void
initiate_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->initiated = esim_rsp_server_initiate_authentication_finish (ESIM_RSP_SERVER (source), res,
	                                                                 &error);
	if (ctx->initiated == NULL) {
		download_fail (task, error);
		return;
	}
	download_next (task);
}

static void
authenticate_server_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->authenticated = esim_es10_authenticate_server_finish (ESIM_ISDR (source), res,
	                                                           &ctx->card_refusal, &error);
	if (ctx->authenticated == NULL) {
		download_fail (task, card_error (error, "AuthenticateServer"));
		return;
	}
	if (g_strcmp0 (ctx->authenticated->transaction_id, ctx->transaction_id) != 0) {
		/* the card signed a session that is not the server's: end it on both sides */
		ctx->session_open = TRUE;
		download_fail_new (task, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT,
		                   "the eUICC answered AuthenticateServer for transaction %s, not %s",
		                   ctx->authenticated->transaction_id, ctx->transaction_id);
		return;
	}
	ctx->session_open = TRUE;
	download_next (task);
}

static void
authenticate_client_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->client_ok = esim_rsp_server_authenticate_client_finish (ESIM_RSP_SERVER (source), res,
	                                                             &error);
	if (ctx->client_ok == NULL) {
		download_fail (task, error);
		return;
	}
	download_next (task);
}

static void
prepare_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	g_autoptr(GBytes) card_refusal = NULL;
	GError *error = NULL;

	ctx->prepared = esim_es10_prepare_download_finish (ESIM_ISDR (source), res, &card_refusal,
	                                                   &error);
	if (ctx->prepared == NULL) {
		download_fail (task, card_error (error, "PrepareDownload"));
		return;
	}
	if (g_strcmp0 (ctx->prepared->transaction_id, ctx->transaction_id) != 0) {
		download_fail_new (task, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT,
		                   "the eUICC answered PrepareDownload for transaction %s, not %s",
		                   ctx->prepared->transaction_id, ctx->transaction_id);
		return;
	}
	download_next (task);
}

static void
package_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->package = esim_rsp_server_get_bound_profile_package_finish (ESIM_RSP_SERVER (source), res,
	                                                                 &error);
	if (ctx->package == NULL) {
		download_fail (task, error);
		return;
	}
	download_next (task);
}

static void
segment_loaded (guint done, guint total, gpointer user_data)
{
	DownloadContext *ctx = user_data;
	guint span = PERCENT_LOAD_LAST - PERCENT_LOAD_FIRST;

	report_progress (ctx, ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE,
	                 PERCENT_LOAD_FIRST + (total > 0 ? span * done / total : span));
}

static void
load_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->result = esim_es10_load_bound_profile_package_finish (ESIM_ISDR (source), res, &error);
	if (ctx->result == NULL) {
		download_fail (task, card_error (error, "LoadBoundProfilePackage"));
		return;
	}
	download_next (task);
}

/* ---- the checks between the calls ---- */

static gboolean
transaction_is_ours (DownloadContext *ctx, const gchar *transaction_id, const gchar *what,
                     GError **error)
{
	/* ESipa may leave the transaction ID out of an answer: then the session's applies */
	if (transaction_id == NULL || g_ascii_strcasecmp (transaction_id, ctx->transaction_id) == 0)
		return TRUE;
	g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT,
	             "the %s answered %s for transaction %s, not %s",
	             esim_rsp_server_get_description (ctx->server), what, transaction_id,
	             ctx->transaction_id);
	return FALSE;
}

/* serverSigned1 is for this card's challenge and names the server we called
 * (SGP.22 §3.1.3.1: the LPA checks the address, the card the challenge). */
static gboolean
check_server (DownloadContext *ctx, GError **error)
{
	g_autoptr(EsimServerSigned1) signed1 = NULL;
	g_autoptr(GError) local = NULL;

	signed1 = esim_es10_parse_server_signed1 (ctx->initiated->server_signed1, &local);
	if (signed1 == NULL) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "the %s sent a serverSigned1 that cannot be decoded: %s",
		             esim_rsp_server_get_description (ctx->server), local->message);
		return FALSE;
	}
	ctx->transaction_id = g_ascii_strup (signed1->transaction_id, -1);
	if (!transaction_is_ours (ctx, ctx->initiated->transaction_id, "initiateAuthentication",
	                          error))
		return FALSE;
	if (!g_bytes_equal (signed1->euicc_challenge, ctx->challenge)) {
		g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT,
		             "the %s signed another eUICC challenge than this eUICC's",
		             esim_rsp_server_get_description (ctx->server));
		return FALSE;
	}
	if (g_ascii_strcasecmp (signed1->server_address, ctx->smdp_address) != 0) {
		g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT,
		             "the %s signed the address %s, not %s",
		             esim_rsp_server_get_description (ctx->server), signed1->server_address,
		             ctx->smdp_address);
		return FALSE;
	}
	return TRUE;
}

static gboolean
iccid_is_installed (DownloadContext *ctx, const gchar *iccid)
{
	for (guint i = 0; ctx->installed_iccids != NULL && ctx->installed_iccids[i] != NULL; i++) {
		if (g_ascii_strcasecmp (ctx->installed_iccids[i], iccid) == 0)
			return TRUE;
	}
	return FALSE;
}

/* What authenticateClient announced, before the card commits to it. */
static gboolean
check_profile (DownloadContext *ctx, GError **error)
{
	EsimAuthenticateClientOk *ok = ctx->client_ok;
	g_autoptr(GError) local = NULL;
	g_autofree gchar *iccid_log = NULL;

	if (!transaction_is_ours (ctx, ok->transaction_id, "authenticateClient", error))
		return FALSE;
	ctx->signed2 = esim_es10_parse_smdp_signed2 (ok->smdp_signed2, &local);
	if (ctx->signed2 == NULL) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "the %s sent an smdpSigned2 that cannot be decoded: %s",
		             esim_rsp_server_get_description (ctx->server), local->message);
		return FALSE;
	}
	if (!transaction_is_ours (ctx, ctx->signed2->transaction_id, "smdpSigned2", error))
		return FALSE;
	if (ok->profile_metadata != NULL) {
		ctx->metadata = esim_es10_parse_profile_metadata (ok->profile_metadata, &local);
		if (ctx->metadata == NULL) {
			g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
			             "the %s sent profile metadata that cannot be decoded: %s",
			             esim_rsp_server_get_description (ctx->server), local->message);
			return FALSE;
		}
		iccid_log = esim_log_personal (ctx->metadata->iccid);
		g_debug ("download from %s: profile %s \"%s\"", ctx->log_tag, iccid_log,
		         ctx->metadata->name != NULL ? ctx->metadata->name : "");
		if (ctx->expected_iccid != NULL &&
		    g_ascii_strcasecmp (ctx->expected_iccid, ctx->metadata->iccid) != 0) {
			g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH,
			             "the %s offers profile %s, not the one asked for",
			             esim_rsp_server_get_description (ctx->server), iccid_log);
			return FALSE;
		}
		if (iccid_is_installed (ctx, ctx->metadata->iccid)) {
			g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_ALREADY_INSTALLED,
			             "profile %s is installed on this eUICC already", iccid_log);
			return FALSE;
		}
		if ((ctx->metadata->ppr_ids & ctx->refused_pprs) != 0) {
			g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_PPR_NOT_ALLOWED,
			             "profile %s carries profile policy rules that are not allowed "
			             "(0x%x)", iccid_log, ctx->metadata->ppr_ids & ctx->refused_pprs);
			return FALSE;
		}
	}
	if (ctx->signed2->cc_required && ctx->confirmation_code == NULL) {
		g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_CONFIRMATION_CODE_REQUIRED,
		             "the %s requires a confirmation code for this profile, and none was given",
		             esim_rsp_server_get_description (ctx->server));
		return FALSE;
	}
	return TRUE;
}

/* The package is this session's, announces the profile authenticateClient did, and can be
 * sent as SGP.22 segments it. */
static gboolean
check_package (DownloadContext *ctx, GError **error)
{
	g_autoptr(GBytes) bpp_metadata = NULL;
	g_autoptr(EsimProfileMetadata) parsed = NULL;
	g_autoptr(GError) local = NULL;
	GBytes *bpp = ctx->package->bound_profile_package;

	if (!transaction_is_ours (ctx, ctx->package->transaction_id, "getBoundProfilePackage", error))
		return FALSE;
	ctx->segments = esim_es10_segment_bound_profile_package (bpp, &local);
	if (ctx->segments == NULL) {
		g_set_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		             "the bound profile package of the %s cannot be segmented: %s",
		             esim_rsp_server_get_description (ctx->server), local->message);
		return FALSE;
	}
	if (ctx->metadata == NULL)
		return TRUE;
	bpp_metadata = esim_download_bpp_metadata (bpp, &local);
	if (bpp_metadata != NULL)
		parsed = esim_es10_parse_profile_metadata (bpp_metadata, &local);
	if (parsed == NULL) {
		g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH,
		             "the bound profile package of the %s has no readable profile metadata: %s",
		             esim_rsp_server_get_description (ctx->server), local->message);
		return FALSE;
	}
	/* what decides whether the profile may be installed must be what was announced */
	if (g_ascii_strcasecmp (parsed->iccid, ctx->metadata->iccid) != 0 ||
	    parsed->profile_class != ctx->metadata->profile_class ||
	    parsed->ppr_ids != ctx->metadata->ppr_ids) {
		g_autofree gchar *announced = esim_log_personal (ctx->metadata->iccid);
		g_autofree gchar *packaged = esim_log_personal (parsed->iccid);

		g_set_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH,
		             "the bound profile package of the %s is not the profile it announced "
		             "(ICCID %s, not %s; or another class or policy rules)",
		             esim_rsp_server_get_description (ctx->server), packaged, announced);
		return FALSE;
	}
	return TRUE;
}

/* ---- after a failure ---- */

static void
refusal_told (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	g_autoptr(EsimAuthenticateClientOk) ok = NULL;
	g_autoptr(GError) error = NULL;

	/* the server is expected to refuse: hearing it is what counts */
	ok = esim_rsp_server_authenticate_client_finish (ESIM_RSP_SERVER (source), res, &error);
	ctx->failure.server_told = ok != NULL || is_server_refusal (error);
	if (!ctx->failure.server_told)
		g_info ("download from %s: the eUICC's refusal did not reach the server: %s",
		        ctx->log_tag, error->message);
	ctx->step = STEP_LAST;
	download_step (task);
}

static void
card_cancelled (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	ctx->cancelled = esim_es10_cancel_session_finish (ESIM_ISDR (source), res, &error);
	if (ctx->cancelled == NULL) {
		/* without the card's signed answer there is nothing the server would take */
		g_info ("download from %s: CancelSession on the eUICC failed: %s", ctx->log_tag,
		        error->message);
		ctx->step = STEP_LAST;
	} else {
		ctx->failure.card_cancelled = TRUE;
		ctx->step = STEP_CANCEL_SERVER;
	}
	download_step (task);
}

static void
server_cancelled (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	DownloadContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	ctx->failure.server_told = esim_rsp_server_cancel_session_finish (ESIM_RSP_SERVER (source),
	                                                                   res, &error);
	if (!ctx->failure.server_told)
		g_info ("download from %s: cancelSession failed: %s", ctx->log_tag, error->message);
	ctx->step = STEP_LAST;
	download_step (task);
}

/* ---- the step machine ---- */

static void
authenticate_server (GTask *task)
{
	DownloadContext *ctx = g_task_get_task_data (task);
	EsimAuthenticateServerInput input = { 0 };

	input.server_signed1 = ctx->initiated->server_signed1;
	input.server_signature1 = ctx->initiated->server_signature1;
	input.euicc_ci_pkid_to_be_used = ctx->initiated->euicc_ci_pkid_to_be_used;
	input.server_certificate = ctx->initiated->server_certificate;
	/* an eIM relay may name the matching ID the SM-DP+ expects (ESipa) */
	input.matching_id = ctx->initiated->matching_id != NULL ? ctx->initiated->matching_id :
	                                                          ctx->matching_id;
	input.device_info = &ctx->device_info;
	/* …or hand over the whole ctxParams1 it generated (eimCtxParams1Generation) */
	input.ctx_params1 = ctx->initiated->ctx_params1;
	esim_es10_authenticate_server (ctx->isdr, &input, g_task_get_cancellable (task),
	                               authenticate_server_ready, task);
}

static void
prepare_download (GTask *task)
{
	DownloadContext *ctx = g_task_get_task_data (task);
	EsimPrepareDownloadInput input = { 0 };
	g_autoptr(GBytes) hash_cc = NULL;
	GError *error = NULL;

	if (ctx->signed2->cc_required) {
		hash_cc = esim_es10_compute_hash_cc (ctx->confirmation_code, ctx->transaction_id, &error);
		if (hash_cc == NULL) {
			download_fail (task, error);
			return;
		}
	}
	input.smdp_signed2 = ctx->client_ok->smdp_signed2;
	input.smdp_signature2 = ctx->client_ok->smdp_signature2;
	input.hash_cc = hash_cc;
	input.smdp_certificate = ctx->client_ok->smdp_certificate;
	esim_es10_prepare_download (ctx->isdr, &input, g_task_get_cancellable (task), prepare_ready,
	                            task);
}

static void
download_succeed (GTask *task)
{
	DownloadContext *ctx = g_task_get_task_data (task);
	EsimDownloadResult *result = g_new0 (EsimDownloadResult, 1);
	g_autofree gchar *iccid_log = NULL;

	result->iccid = g_strdup (ctx->result->meta.iccid != NULL ? ctx->result->meta.iccid :
	                          ctx->metadata != NULL ? ctx->metadata->iccid : NULL);
	result->isdp_aid = g_strdup (ctx->result->isdp_aid);
	result->transaction_id = g_strdup (ctx->transaction_id);
	result->seq_number = ctx->result->meta.seq_number;
	result->metadata = g_steal_pointer (&ctx->metadata);
	result->n_segments = ctx->segments->len;
	result->store_data_minimum = esim_es10_store_data_minimum (ctx->segments);
	result->package_size = g_bytes_get_size (ctx->package->bound_profile_package);
	iccid_log = esim_log_personal (result->iccid);
	g_info ("download from %s: profile %s installed, notification %" G_GUINT64_FORMAT
	        " pending", ctx->log_tag, iccid_log, result->seq_number);
	g_task_return_pointer (task, result, (GDestroyNotify) esim_download_result_free);
	g_object_unref (task);
}

static void
download_step (GTask *task)
{
	DownloadContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);
	GError *error = NULL;

	/* a cancel is a failure like any other until the package goes to the card */
	if (ctx->step < STEP_LOAD_BOUND_PROFILE_PACKAGE && ctx->step > STEP_FIRST &&
	    g_cancellable_set_error_if_cancelled (cancellable, &error)) {
		download_fail (task, error);
		return;
	}
	if (ctx->step == STEP_FIRST)
		ctx->step++;
	/* each step says so as it starts; the cancel steps say where the download was */
	if (ctx->step < STEP_LAST)
		report_progress (ctx, public_step (ctx->step), step_infos[ctx->step].percent);

	switch (ctx->step) {
	case STEP_EUICC_CHALLENGE:
		esim_es10_get_euicc_challenge (ctx->isdr, cancellable, challenge_ready, task);
		return;
	case STEP_EUICC_INFO:
		esim_es10_get_euicc_info1 (ctx->isdr, cancellable, info1_ready, task);
		return;
	case STEP_INITIATE_AUTHENTICATION:
		esim_rsp_server_initiate_authentication_async (ctx->server, ctx->challenge,
		                                               ctx->info1->raw, ctx->smdp_address,
		                                               cancellable, initiate_ready, task);
		return;
	case STEP_AUTHENTICATE_SERVER:
		if (!check_server (ctx, &error)) {
			download_fail (task, error);
			return;
		}
		authenticate_server (task);
		return;
	case STEP_AUTHENTICATE_CLIENT:
		esim_rsp_server_authenticate_client_async (ctx->server, ctx->transaction_id,
		                                           ctx->authenticated->raw, cancellable,
		                                           authenticate_client_ready, task);
		return;
	case STEP_CHECK_PROFILE:
		if (!check_profile (ctx, &error)) {
			download_fail (task, error);
			return;
		}
		download_next (task);
		return;
	case STEP_PREPARE_DOWNLOAD:
		prepare_download (task);
		return;
	case STEP_GET_BOUND_PROFILE_PACKAGE:
		esim_rsp_server_get_bound_profile_package_async (ctx->server, ctx->transaction_id,
		                                                 ctx->prepared->raw, cancellable,
		                                                 package_ready, task);
		return;
	case STEP_CHECK_PACKAGE:
		if (!check_package (ctx, &error)) {
			download_fail (task, error);
			return;
		}
		download_next (task);
		return;
	case STEP_LOAD_BOUND_PROFILE_PACKAGE:
		/* no cancellable: a package half on the card is worse than a late cancel */
		esim_es10_load_bound_profile_package (ctx->isdr, ctx->package->bound_profile_package,
		                                      segment_loaded, ctx, NULL, load_ready, task);
		return;
	case STEP_RESULT:
		if (!esim_profile_installation_result_check (ctx->result, &error)) {
			download_fail (task, error);
			return;
		}
		download_succeed (task);
		return;
	case STEP_TELL_SERVER_REFUSAL:
		esim_rsp_server_authenticate_client_async (ctx->server, ctx->transaction_id,
		                                           ctx->card_refusal, NULL, refusal_told, task);
		return;
	case STEP_CANCEL_CARD:
		g_debug ("download from %s: CancelSession, reason %s", ctx->log_tag,
		         esim_cancel_session_reason_to_string (ctx->failure.cancel_reason));
		esim_es10_cancel_session (ctx->isdr, ctx->transaction_id,
		                          (EsimCancelSessionReason) ctx->failure.cancel_reason, NULL,
		                          card_cancelled, task);
		return;
	case STEP_CANCEL_SERVER:
		esim_rsp_server_cancel_session_async (ctx->server, ctx->transaction_id,
		                                      ctx->cancelled->raw, NULL, server_cancelled, task);
		return;
	case STEP_LAST:
		g_task_return_error (task, g_steal_pointer (&ctx->error));
		g_object_unref (task);
		return;
	default:
		g_assert_not_reached ();
	}
}

void
esim_download_async (EsimIsdr *isdr,
                     EsimRspServer *server,
                     const EsimDownloadParams *params,
                     EsimDownloadProgressFunc progress,
                     gpointer progress_data,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
	GTask *task;
	DownloadContext *ctx;
	g_autofree gchar *matching_log = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (ESIM_IS_RSP_SERVER (server));
	g_return_if_fail (params != NULL && params->smdp_address != NULL);

	task = g_task_new (NULL, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_download_async);
	/* the steps decide the result, a cancelled one included (after its cancel) */
	g_task_set_check_cancellable (task, FALSE);
	ctx = g_new0 (DownloadContext, 1);
	ctx->isdr = g_object_ref (isdr);
	ctx->server = g_object_ref (server);
	ctx->smdp_address = g_strdup (params->smdp_address);
	ctx->matching_id = g_strdup (params->matching_id);
	ctx->confirmation_code = g_strdup (params->confirmation_code);
	esim_device_info_init (&ctx->device_info);
	if (params->device_info != NULL) {
		ctx->device_info = *params->device_info;
		ctx->device_info.tac = ctx->device_tac = g_strdup (params->device_info->tac);
		ctx->device_info.imei = ctx->device_imei = g_strdup (params->device_info->imei);
	}
	ctx->expected_iccid = g_strdup (params->expected_iccid);
	ctx->installed_iccids = g_strdupv ((gchar **) params->installed_iccids);
	ctx->refused_pprs = params->refused_pprs;
	ctx->progress = progress;
	ctx->progress_data = progress_data;
	matching_log = esim_log_personal (params->matching_id);
	ctx->log_tag = g_strdup_printf ("%s (matching ID %s)", esim_rsp_server_get_description (server),
	                                matching_log != NULL ? matching_log : "none");
	ctx->failure.step = ESIM_DOWNLOAD_STEP_GET_EUICC_CHALLENGE;
	ctx->failure.cancel_reason = -1;
	ctx->step = STEP_FIRST;
	g_task_set_task_data (task, ctx, (GDestroyNotify) download_context_free);
	g_debug ("download from %s starts", ctx->log_tag);
	download_step (task);
}

EsimDownloadResult *
esim_download_finish (GAsyncResult *res, EsimDownloadFailure *failure, GError **error)
{
	DownloadContext *ctx;
	EsimDownloadResult *result;

	g_return_val_if_fail (g_task_is_valid (res, NULL), NULL);
	g_return_val_if_fail (g_task_get_source_tag (G_TASK (res)) == esim_download_async, NULL);

	ctx = g_task_get_task_data (G_TASK (res));
	result = g_task_propagate_pointer (G_TASK (res), error);
	if (failure != NULL) {
		*failure = ctx->failure;
		if (result != NULL) {
			failure->step = ESIM_DOWNLOAD_STEP_NONE;
			failure->cancel_reason = -1;
		}
	}
	return result;
}

static DownloadContext *
finished_context (GAsyncResult *res)
{
	g_return_val_if_fail (g_task_is_valid (res, NULL), NULL);
	g_return_val_if_fail (g_task_get_source_tag (G_TASK (res)) == esim_download_async, NULL);
	return g_task_get_task_data (G_TASK (res));
}

GBytes *
esim_download_get_installation_result (GAsyncResult *res)
{
	DownloadContext *ctx = finished_context (res);

	if (ctx == NULL || ctx->result == NULL)
		return NULL;
	return g_bytes_ref (ctx->result->raw);
}

GBytes *
esim_download_get_error_response (GAsyncResult *res)
{
	DownloadContext *ctx = finished_context (res);

	if (ctx == NULL)
		return NULL;
	if (ctx->cancelled != NULL)
		return g_bytes_ref (ctx->cancelled->raw);
	if (ctx->card_refusal != NULL)
		return g_bytes_ref (ctx->card_refusal);
	return NULL;
}
