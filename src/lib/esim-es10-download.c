/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ES10b download calls over an open EsimIsdr (esim-es10-download.h).
 * Every call but LoadBoundProfilePackage is one request and one answer; the
 * package is sent as its segments, one EsimIsdr request each, until the card
 * answers with its ProfileInstallationResult.
 *
 * Nothing here logs the matching ID or a transaction's content: requests are
 * logged by function and size only.
 */

#define G_LOG_DOMAIN "esim"

#include "esim-der.h"
#include "esim-es10-download.h"

typedef enum {
	CALL_GET_EUICC_CHALLENGE,
	CALL_AUTHENTICATE_SERVER,
	CALL_PREPARE_DOWNLOAD,
	CALL_CANCEL_SESSION,
} DownloadCallKind;

typedef struct {
	DownloadCallKind kind;
	const gchar	*function;        /* spec name, for logs and errors */
	GBytes		*error_response;  /* the card's error alternative, raw */
} DownloadCall;

static void
download_call_free (DownloadCall *call)
{
	g_clear_pointer (&call->error_response, g_bytes_unref);
	g_free (call);
}

static void
return_pointer (GTask *task, gpointer result, GDestroyNotify free_func, GError *error)
{
	if (result == NULL) {
		g_task_return_error (task, error);
		return;
	}
	g_task_return_pointer (task, result, free_func);
}

static void
download_call_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	DownloadCall *call = g_task_get_task_data (task);
	g_autoptr(GBytes) response = NULL;
	GDestroyNotify free_func = NULL;
	gpointer result = NULL;
	GError *error = NULL;

	response = esim_isdr_transceive_finish (ESIM_ISDR (source), res, &error);
	if (response == NULL) {
		g_prefix_error (&error, "%s: ", call->function);
		g_task_return_error (task, error);
		return;
	}
	/* parse first: the error it sets is an argument of return_pointer() */
	switch (call->kind) {
	case CALL_GET_EUICC_CHALLENGE:
		result = esim_es10_parse_get_euicc_challenge (response, &error);
		free_func = (GDestroyNotify) g_bytes_unref;
		break;
	case CALL_AUTHENTICATE_SERVER:
		result = esim_es10_parse_authenticate_server (response, &call->error_response,
							      &error);
		free_func = (GDestroyNotify) esim_authenticate_server_ok_free;
		break;
	case CALL_PREPARE_DOWNLOAD:
		result = esim_es10_parse_prepare_download (response, &call->error_response, &error);
		free_func = (GDestroyNotify) esim_prepare_download_ok_free;
		break;
	case CALL_CANCEL_SESSION:
		result = esim_es10_parse_cancel_session (response, &error);
		free_func = (GDestroyNotify) esim_cancel_session_ok_free;
		break;
	default:
		g_assert_not_reached ();
	}
	return_pointer (task, result, free_func, error);
}

/* Sends @request, or returns @encode_error without touching the card. */
static void
download_call (EsimIsdr *isdr, DownloadCallKind kind, const gchar *function, GBytes *request,
	       GError *encode_error, gpointer source_tag, GCancellable *cancellable,
	       GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (isdr, cancellable, callback, user_data);
	DownloadCall *call = g_new0 (DownloadCall, 1);

	call->kind = kind;
	call->function = function;
	g_task_set_source_tag (task, source_tag);
	g_task_set_task_data (task, call, (GDestroyNotify) download_call_free);
	if (request == NULL) {
		g_debug ("ES10 %s not sent: %s", function, encode_error->message);
		g_task_return_error (task, encode_error);
		return;
	}
	g_debug ("ES10 %s (%" G_GSIZE_FORMAT " bytes)", function, g_bytes_get_size (request));
	esim_isdr_transceive_async (isdr, request, cancellable, download_call_ready,
				    g_steal_pointer (&task));
}

static gpointer
download_call_finish (EsimIsdr *isdr, GAsyncResult *res, gpointer source_tag,
		      GBytes **error_response, GError **error)
{
	DownloadCall *call;
	GError *error_local = NULL;
	gpointer result;

	g_return_val_if_fail (ESIM_IS_ISDR (isdr), NULL);
	g_return_val_if_fail (g_task_is_valid (res, isdr), NULL);
	g_return_val_if_fail (g_async_result_is_tagged (res, source_tag), NULL);

	if (error_response != NULL)
		*error_response = NULL;
	call = g_task_get_task_data (G_TASK (res));
	result = g_task_propagate_pointer (G_TASK (res), &error_local);
	if (result == NULL) {
		if (error_response != NULL && call->error_response != NULL)
			*error_response = g_bytes_ref (call->error_response);
		g_propagate_error (error, error_local);
	}
	return result;
}

/* ---- GetEuiccChallenge ---- */

void
esim_es10_get_euicc_challenge (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_euicc_challenge ();

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	download_call (isdr, CALL_GET_EUICC_CHALLENGE, "GetEuiccChallenge", request, NULL,
		       esim_es10_get_euicc_challenge, cancellable, callback, user_data);
}

GBytes *
esim_es10_get_euicc_challenge_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return download_call_finish (isdr, res, esim_es10_get_euicc_challenge, NULL, error);
}

/* ---- AuthenticateServer ---- */

void
esim_es10_authenticate_server (EsimIsdr *isdr, const EsimAuthenticateServerInput *input,
			       ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (input != NULL);
	request = esim_es10_encode_authenticate_server (input, &error);
	download_call (isdr, CALL_AUTHENTICATE_SERVER, "AuthenticateServer", request, error,
		       esim_es10_authenticate_server, cancellable, callback, user_data);
}

EsimAuthenticateServerOk *
esim_es10_authenticate_server_finish (EsimIsdr *isdr, GAsyncResult *res, GBytes **error_response,
				      GError **error)
{
	return download_call_finish (isdr, res, esim_es10_authenticate_server, error_response,
				     error);
}

/* ---- PrepareDownload ---- */

void
esim_es10_prepare_download (EsimIsdr *isdr, const EsimPrepareDownloadInput *input,
			    ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (input != NULL);
	request = esim_es10_encode_prepare_download (input, &error);
	download_call (isdr, CALL_PREPARE_DOWNLOAD, "PrepareDownload", request, error,
		       esim_es10_prepare_download, cancellable, callback, user_data);
}

EsimPrepareDownloadOk *
esim_es10_prepare_download_finish (EsimIsdr *isdr, GAsyncResult *res, GBytes **error_response,
				   GError **error)
{
	return download_call_finish (isdr, res, esim_es10_prepare_download, error_response, error);
}

/* ---- CancelSession ---- */

void
esim_es10_cancel_session (EsimIsdr *isdr, const gchar *transaction_id,
			  EsimCancelSessionReason reason, ESIM_ES10_ASYNC_ARGS)
{
	GError *error = NULL;
	g_autoptr(GBytes) request = NULL;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	request = esim_es10_encode_cancel_session (transaction_id, reason, &error);
	if (request != NULL)
		g_debug ("ES10 CancelSession, reason %s", esim_cancel_session_reason_to_string (reason));
	download_call (isdr, CALL_CANCEL_SESSION, "CancelSession", request, error,
		       esim_es10_cancel_session, cancellable, callback, user_data);
}

EsimCancelSessionOk *
esim_es10_cancel_session_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	return download_call_finish (isdr, res, esim_es10_cancel_session, NULL, error);
}

/* ---- LoadBoundProfilePackage ---- */

typedef struct {
	GPtrArray	   *segments;  /* GBytes*, slices of the package */
	guint		    next;      /* index of the segment to send */
	EsimBppProgressFunc progress;
	gpointer	    progress_data;
} LoadBppContext;

static void
load_bpp_context_free (LoadBppContext *ctx)
{
	g_clear_pointer (&ctx->segments, g_ptr_array_unref);
	g_free (ctx);
}

static void load_bpp_send_next (GTask *task);

static void
load_bpp_segment_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	LoadBppContext *ctx = g_task_get_task_data (task);
	g_autoptr(GBytes) response = NULL;
	EsimProfileInstallationResult *result;
	guint total = ctx->segments->len;
	GError *error = NULL;

	response = esim_isdr_transceive_finish (ESIM_ISDR (source), res, &error);
	if (response == NULL) {
		g_prefix_error (&error, "LoadBoundProfilePackage: segment %u of %u: ", ctx->next + 1,
				total);
		g_task_return_error (task, error);
		return;
	}
	ctx->next++;
	if (ctx->progress != NULL)
		ctx->progress (ctx->next, total, ctx->progress_data);

	if (g_bytes_get_size (response) == 0) {
		if (ctx->next < total) {
			load_bpp_send_next (task);
			return;
		}
		g_task_return_new_error (task, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
					 "LoadBoundProfilePackage: no ProfileInstallationResult "
					 "after the last of %u segments", total);
		return;
	}
	/* data before the last segment: the card stopped the install early */
	if (ctx->next < total)
		g_debug ("LoadBoundProfilePackage: the card answered segment %u of %u", ctx->next,
			 total);
	result = esim_es10_parse_profile_installation_result (response, &error);
	if (result == NULL) {
		g_prefix_error (&error, "LoadBoundProfilePackage: answer to segment %u of %u: ",
				ctx->next, total);
		g_task_return_error (task, error);
		return;
	}
	g_task_return_pointer (task, result, (GDestroyNotify) esim_profile_installation_result_free);
}

static void
load_bpp_send_next (GTask *task)
{
	LoadBppContext *ctx = g_task_get_task_data (task);
	EsimIsdr *isdr = g_task_get_source_object (task);

	if (g_task_return_error_if_cancelled (task))
		return;
	esim_isdr_transceive_async (isdr, g_ptr_array_index (ctx->segments, ctx->next),
				    g_task_get_cancellable (task), load_bpp_segment_ready,
				    g_object_ref (task));
}

void
esim_es10_load_bound_profile_package (EsimIsdr *isdr, GBytes *bpp, EsimBppProgressFunc progress,
				      gpointer progress_data, ESIM_ES10_ASYNC_ARGS)
{
	g_autoptr(GTask) task = NULL;
	LoadBppContext *ctx;
	GError *error = NULL;
	GPtrArray *segments;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (bpp != NULL);

	task = g_task_new (isdr, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_es10_load_bound_profile_package);
	segments = esim_es10_segment_bound_profile_package (bpp, &error);
	if (segments == NULL) {
		g_prefix_error (&error, "LoadBoundProfilePackage: ");
		g_message ("%s", error->message);
		g_task_return_error (task, error);
		return;
	}
	g_debug ("ES10 LoadBoundProfilePackage (%" G_GSIZE_FORMAT " bytes, %u segments, "
		 "at least %u STORE DATA)", g_bytes_get_size (bpp), segments->len,
		 esim_es10_store_data_minimum (segments));
	ctx = g_new0 (LoadBppContext, 1);
	ctx->segments = segments;
	ctx->progress = progress;
	ctx->progress_data = progress_data;
	g_task_set_task_data (task, ctx, (GDestroyNotify) load_bpp_context_free);
	load_bpp_send_next (task);
}

EsimProfileInstallationResult *
esim_es10_load_bound_profile_package_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (ESIM_IS_ISDR (isdr), NULL);
	g_return_val_if_fail (g_task_is_valid (res, isdr), NULL);
	g_return_val_if_fail (g_async_result_is_tagged (res, esim_es10_load_bound_profile_package),
			      NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}
