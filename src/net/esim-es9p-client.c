/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES9+ client: request bodies and answer parsing are src/lib/esim-es9p.c;
 * this file sends them.  Nothing personal is logged: the matching ID and the
 * eUICC's data travel only in request bodies, which are never logged.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-es9p-client.h"
#include "esim-es9p.h"
#include "esim-rsp-server.h"

struct _EsimEs9pClient {
	GObject parent_instance;
	EsimHttpClient *http;
	gchar *description;
};

static void esim_es9p_client_rsp_server_init (EsimRspServerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (EsimEs9pClient, esim_es9p_client, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_RSP_SERVER,
                                                esim_es9p_client_rsp_server_init))

/* One ES9+ function: how its answer is parsed and freed. */
typedef struct {
	const gchar *name;
	gpointer (*parse) (const gchar *body, gsize len, GError **error);
	GDestroyNotify free_result;
	EsimHttpPostFlags flags;
} Es9pFunction;

static gpointer
parse_initiate_authentication (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_initiate_authentication (body, len, NULL, error);
}

static gpointer
parse_authenticate_client (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_authenticate_client (body, len, NULL, error);
}

static gpointer
parse_get_bound_profile_package (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_get_bound_profile_package (body, len, NULL, error);
}

/* cancelSession answers only a header: any non-NULL pointer means success. */
static gpointer
parse_cancel_session (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_cancel_session (body, len, NULL, error) ? GINT_TO_POINTER (1) : NULL;
}

/* handleNotification answers nothing (SGP.22 §6.3: 204, no content); a
 * server that sends a JSON header anyway is heard when it refuses, and a
 * body that is not a header does not undo the 2xx. */
static gpointer
parse_handle_notification (const gchar *body, gsize len, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (len == 0 || esim_es9p_parse_cancel_session (body, len, NULL, &local))
		return GINT_TO_POINTER (1);
	if (g_error_matches (local, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED)) {
		g_debug ("ES9+ handleNotification: 2xx with a body that is not a header, taken as "
		         "accepted (%s)", local->message);
		return GINT_TO_POINTER (1);
	}
	g_propagate_error (error, g_steal_pointer (&local));
	return NULL;
}

static const Es9pFunction initiate_authentication = {
	"initiateAuthentication", parse_initiate_authentication,
	(GDestroyNotify) esim_initiate_authentication_ok_free, ESIM_HTTP_POST_NONE,
};
static const Es9pFunction authenticate_client = {
	"authenticateClient", parse_authenticate_client,
	(GDestroyNotify) esim_authenticate_client_ok_free, ESIM_HTTP_POST_NONE,
};
static const Es9pFunction get_bound_profile_package = {
	"getBoundProfilePackage", parse_get_bound_profile_package,
	(GDestroyNotify) esim_bound_profile_package_ok_free, ESIM_HTTP_POST_NONE,
};
static const Es9pFunction cancel_session = {
	"cancelSession", parse_cancel_session, NULL, ESIM_HTTP_POST_NONE,
};
static const Es9pFunction handle_notification = {
	"handleNotification", parse_handle_notification, NULL, ESIM_HTTP_POST_EMPTY_ANSWER_OK,
};

static void
es9p_call_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	const Es9pFunction *function = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	gpointer result;
	gsize len = 0;
	const gchar *body;

	answer = esim_http_client_post_finish (ESIM_HTTP_CLIENT (source), res, NULL, &error);
	if (answer == NULL) {
		/* an empty answer to a function that must answer is a malformed one */
		if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)) {
			g_task_return_new_error (task, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
			                         "%s", error->message);
			return;
		}
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	body = g_bytes_get_data (answer, &len);
	result = function->parse (body != NULL ? body : "", len, &error);
	if (result == NULL) {
		g_debug ("ES9+ %s: %s", function->name, error->message);
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_pointer (task, result, function->free_result);
}

/* Sends @json (taken) to @path and parses the answer with @function. */
static void
es9p_call (EsimEs9pClient *self, const gchar *path, gchar *json, gsize max_answer,
           const Es9pFunction *function, gpointer source_tag, GCancellable *cancellable,
           GAsyncReadyCallback callback, gpointer user_data)
{
	static const gchar *const headers[] = {
		"X-Admin-Protocol", ESIM_ES9P_ADMIN_PROTOCOL,
		NULL,
	};
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	g_autoptr(GBytes) body = g_bytes_new_take (json, strlen (json));

	g_task_set_source_tag (task, source_tag);
	g_task_set_task_data (task, (gpointer) function, NULL);
	esim_http_client_post_async (self->http, path, ESIM_ES9P_CONTENT_TYPE, body, headers,
	                             max_answer, function->flags, cancellable, es9p_call_done,
	                             g_steal_pointer (&task));
}

static gpointer
es9p_finish (EsimEs9pClient *self, GAsyncResult *res, gpointer source_tag, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), NULL);
	g_return_val_if_fail (g_task_get_source_tag (G_TASK (res)) == source_tag, NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* ---- EsimRspServer ---- */

static const gchar *
es9p_get_description (EsimRspServer *server)
{
	return ESIM_ES9P_CLIENT (server)->description;
}

static void
es9p_initiate_authentication_async (EsimRspServer *server, GBytes *euicc_challenge,
                                    GBytes *euicc_info1, const gchar *smdp_address,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
	EsimEs9pClient *self = ESIM_ES9P_CLIENT (server);
	const gchar *address = esim_http_client_get_address (self->http);

	/* the server checks smdpAddress against its own: it must be the one we talk to */
	if (g_ascii_strcasecmp (smdp_address, address) != 0) {
		g_task_report_new_error (self, callback, user_data, es9p_initiate_authentication_async,
		                         G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "the ES9+ client for %s cannot authenticate with %s", address,
		                         smdp_address);
		return;
	}
	es9p_call (self, ESIM_ES9P_PATH_INITIATE_AUTHENTICATION,
	           esim_es9p_build_initiate_authentication (euicc_challenge, euicc_info1,
	                                                    smdp_address),
	           ESIM_HTTP_LIMIT_JSON, &initiate_authentication,
	           es9p_initiate_authentication_async, cancellable, callback, user_data);
}

static EsimInitiateAuthenticationOk *
es9p_initiate_authentication_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return es9p_finish (ESIM_ES9P_CLIENT (server), res, es9p_initiate_authentication_async,
	                    error);
}

static void
es9p_authenticate_client_async (EsimRspServer *server, const gchar *transaction_id,
                                GBytes *authenticate_server_response, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
	es9p_call (ESIM_ES9P_CLIENT (server), ESIM_ES9P_PATH_AUTHENTICATE_CLIENT,
	           esim_es9p_build_authenticate_client (transaction_id, authenticate_server_response),
	           ESIM_HTTP_LIMIT_JSON, &authenticate_client, es9p_authenticate_client_async,
	           cancellable, callback, user_data);
}

static EsimAuthenticateClientOk *
es9p_authenticate_client_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return es9p_finish (ESIM_ES9P_CLIENT (server), res, es9p_authenticate_client_async, error);
}

static void
es9p_get_bound_profile_package_async (EsimRspServer *server, const gchar *transaction_id,
                                      GBytes *prepare_download_response,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
	es9p_call (ESIM_ES9P_CLIENT (server), ESIM_ES9P_PATH_GET_BOUND_PROFILE_PACKAGE,
	           esim_es9p_build_get_bound_profile_package (transaction_id,
	                                                      prepare_download_response),
	           ESIM_HTTP_LIMIT_BPP, &get_bound_profile_package,
	           es9p_get_bound_profile_package_async, cancellable, callback, user_data);
}

static EsimBoundProfilePackageOk *
es9p_get_bound_profile_package_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return es9p_finish (ESIM_ES9P_CLIENT (server), res, es9p_get_bound_profile_package_async,
	                    error);
}

static void
es9p_cancel_session_async (EsimRspServer *server, const gchar *transaction_id,
                           GBytes *cancel_session_response, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
	es9p_call (ESIM_ES9P_CLIENT (server), ESIM_ES9P_PATH_CANCEL_SESSION,
	           esim_es9p_build_cancel_session (transaction_id, cancel_session_response),
	           ESIM_HTTP_LIMIT_JSON, &cancel_session, es9p_cancel_session_async, cancellable,
	           callback, user_data);
}

static gboolean
es9p_cancel_session_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return es9p_finish (ESIM_ES9P_CLIENT (server), res, es9p_cancel_session_async,
	                    error) != NULL;
}

static void
esim_es9p_client_rsp_server_init (EsimRspServerInterface *iface)
{
	iface->get_description = es9p_get_description;
	iface->initiate_authentication_async = es9p_initiate_authentication_async;
	iface->initiate_authentication_finish = es9p_initiate_authentication_finish;
	iface->authenticate_client_async = es9p_authenticate_client_async;
	iface->authenticate_client_finish = es9p_authenticate_client_finish;
	iface->get_bound_profile_package_async = es9p_get_bound_profile_package_async;
	iface->get_bound_profile_package_finish = es9p_get_bound_profile_package_finish;
	iface->cancel_session_async = es9p_cancel_session_async;
	iface->cancel_session_finish = es9p_cancel_session_finish;
}

/* ---- handleNotification ---- */

void
esim_es9p_client_handle_notification_async (EsimEs9pClient *self, GBytes *pending_notification,
                                            GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data)
{
	g_return_if_fail (ESIM_IS_ES9P_CLIENT (self));
	g_return_if_fail (pending_notification != NULL);

	es9p_call (self, ESIM_ES9P_PATH_HANDLE_NOTIFICATION,
	           esim_es9p_build_handle_notification (pending_notification), ESIM_HTTP_LIMIT_JSON,
	           &handle_notification, esim_es9p_client_handle_notification_async, cancellable,
	           callback, user_data);
}

gboolean
esim_es9p_client_handle_notification_finish (EsimEs9pClient *self, GAsyncResult *res,
                                             GError **error)
{
	return es9p_finish (self, res, esim_es9p_client_handle_notification_async, error) != NULL;
}

/* ---- object ---- */

static void
esim_es9p_client_finalize (GObject *object)
{
	EsimEs9pClient *self = ESIM_ES9P_CLIENT (object);

	g_clear_object (&self->http);
	g_free (self->description);
	G_OBJECT_CLASS (esim_es9p_client_parent_class)->finalize (object);
}

static void
esim_es9p_client_class_init (EsimEs9pClientClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = esim_es9p_client_finalize;
}

static void
esim_es9p_client_init (EsimEs9pClient *self)
{
}

EsimEs9pClient *
esim_es9p_client_new (const gchar *smdp_address, GTlsDatabase *database, GError **error)
{
	g_autoptr(EsimEs9pClient) self = NULL;
	g_autoptr(EsimHttpClient) http = NULL;

	g_return_val_if_fail (smdp_address != NULL, NULL);
	g_return_val_if_fail (G_IS_TLS_DATABASE (database), NULL);

	http = esim_http_client_new (smdp_address, "SM-DP+", database, error);
	if (http == NULL)
		return NULL;
	esim_http_client_set_user_agent (http, ESIM_ES9P_USER_AGENT);
	self = g_object_new (ESIM_TYPE_ES9P_CLIENT, NULL);
	self->http = g_steal_pointer (&http);
	self->description = g_strdup_printf ("SM-DP+ %s", smdp_address);
	return g_steal_pointer (&self);
}

EsimHttpClient *
esim_es9p_client_get_http (EsimEs9pClient *self)
{
	g_return_val_if_fail (ESIM_IS_ES9P_CLIENT (self), NULL);
	return self->http;
}

const gchar *
esim_es9p_client_get_address (EsimEs9pClient *self)
{
	g_return_val_if_fail (ESIM_IS_ES9P_CLIENT (self), NULL);
	return esim_http_client_get_address (self->http);
}
