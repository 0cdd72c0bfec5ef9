/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scripted EsimRspServer (fake-rsp-server.h).  What a real server does is
 * the test SM-DP+'s (tests/servers: SGP.22 §5.6 checks and status codes as
 * osmocom pySim osmo-smdpp.py raises them); what a real network does to a
 * request is scripted here: an error before the server saw it (no route,
 * refused, TLS), after (the answer lost: esim-http.h G_IO_ERROR_CONNECTION_CLOSED
 * "the request may have been processed"), or no answer at all until the caller
 * gives up.
 */

#include <string.h>

#include "esim-es9p.h"
#include "fake-rsp-server.h"

typedef struct {
	GError  *error;
	gboolean after_server;
	gboolean hang;
} Script;

struct _FakeRspServer {
	GObject        parent_instance;
	EsimTestSmdp  *smdp;
	GHashTable    *scripts;     /* function -> Script* */
	gchar         *address;
	FakeRspMutate  mutate;
	gpointer       mutate_data;
	GString       *calls;
	GTask         *hanging;
	GBytes        *last_bf38;
	GBytes        *last_bf41;
};

static void fake_rsp_server_iface_init (EsimRspServerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (FakeRspServer, fake_rsp_server, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_RSP_SERVER, fake_rsp_server_iface_init))

static void
script_free (Script *script)
{
	g_clear_error (&script->error);
	g_free (script);
}

typedef gpointer (*ParseFunc) (const gchar *body, gsize len, GError **error);

static gpointer
parse_initiate (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_initiate_authentication (body, len, NULL, error);
}

static gpointer
parse_authenticate_client (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_authenticate_client (body, len, NULL, error);
}

static gpointer
parse_package (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_get_bound_profile_package (body, len, NULL, error);
}

static gpointer
parse_cancel (const gchar *body, gsize len, GError **error)
{
	return esim_es9p_parse_cancel_session (body, len, NULL, error) ? GINT_TO_POINTER (1) : NULL;
}

/* A hanging call ends when its caller gives up, checked every 10 ms. */
static gboolean
hang_check (gpointer user_data)
{
	FakeRspServer *self = user_data;
	GTask *task = self->hanging;

	if (task == NULL)
		return G_SOURCE_REMOVE;
	if (!g_cancellable_is_cancelled (g_task_get_cancellable (task)))
		return G_SOURCE_CONTINUE;
	self->hanging = NULL;
	g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
	g_object_unref (task);
	return G_SOURCE_REMOVE;
}

/* One ES9+ function: the request body (taken) to the SM-DP+, the answer parsed. */
static void
fake_call (FakeRspServer *self, const gchar *function, gchar *json, ParseFunc parse,
           GDestroyNotify free_result, gpointer source_tag, GCancellable *cancellable,
           GAsyncReadyCallback callback, gpointer user_data)
{
	g_autofree gchar *body = json;
	g_autofree gchar *answer = NULL;
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	Script *script = g_hash_table_lookup (self->scripts, function);
	GError *error = NULL;
	gpointer result;
	guint status;

	g_task_set_source_tag (task, source_tag);
	g_string_append_printf (self->calls, "%s%s", self->calls->len > 0 ? "," : "", function);
	if (script != NULL && script->hang) {
		g_assert_nonnull (cancellable);
		g_assert_null (self->hanging);
		self->hanging = g_steal_pointer (&task);
		g_timeout_add (10, hang_check, self);
		return;
	}
	if (script != NULL && script->error != NULL && !script->after_server) {
		g_task_return_error (task, g_error_copy (script->error));
		return;
	}
	status = esim_test_smdp_handle (self->smdp, function, body, strlen (body), &answer);
	if (script != NULL && script->error != NULL) {
		g_task_return_error (task, g_error_copy (script->error));
		return;
	}
	if (status < 200 || status > 299) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
		                         "the fake SM-DP+ answered %s with HTTP %u", function, status);
		return;
	}
	result = parse (answer != NULL ? answer : "", answer != NULL ? strlen (answer) : 0, &error);
	if (result == NULL) {
		g_task_return_error (task, error);
		return;
	}
	if (self->mutate != NULL && free_result != NULL)
		self->mutate (function, result, self->mutate_data);
	g_task_return_pointer (task, result, free_result);
}

static gpointer
fake_finish (EsimRspServer *server, GAsyncResult *res, gpointer source_tag, GError **error)
{
	g_assert_true (g_task_is_valid (res, server));
	g_assert_true (g_task_get_source_tag (G_TASK (res)) == source_tag);
	return g_task_propagate_pointer (G_TASK (res), error);
}

static const gchar *
fake_get_description (EsimRspServer *server)
{
	return "fake SM-DP+";
}

static void
fake_initiate_async (EsimRspServer *server, GBytes *euicc_challenge, GBytes *euicc_info1,
                     const gchar *smdp_address, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
	FakeRspServer *self = FAKE_RSP_SERVER (server);

	fake_call (self, "initiateAuthentication",
	           esim_es9p_build_initiate_authentication (euicc_challenge, euicc_info1,
	                                                    self->address != NULL ? self->address :
	                                                                            smdp_address),
	           parse_initiate, (GDestroyNotify) esim_initiate_authentication_ok_free,
	           fake_initiate_async, cancellable, callback, user_data);
}

static EsimInitiateAuthenticationOk *
fake_initiate_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return fake_finish (server, res, fake_initiate_async, error);
}

static void
fake_authenticate_client_async (EsimRspServer *server, const gchar *transaction_id,
                                GBytes *authenticate_server_response, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
	FakeRspServer *self = FAKE_RSP_SERVER (server);

	g_clear_pointer (&self->last_bf38, g_bytes_unref);
	self->last_bf38 = g_bytes_ref (authenticate_server_response);
	fake_call (self, "authenticateClient",
	           esim_es9p_build_authenticate_client (transaction_id, authenticate_server_response),
	           parse_authenticate_client, (GDestroyNotify) esim_authenticate_client_ok_free,
	           fake_authenticate_client_async, cancellable, callback, user_data);
}

static EsimAuthenticateClientOk *
fake_authenticate_client_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return fake_finish (server, res, fake_authenticate_client_async, error);
}

static void
fake_package_async (EsimRspServer *server, const gchar *transaction_id,
                    GBytes *prepare_download_response, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
	fake_call (FAKE_RSP_SERVER (server), "getBoundProfilePackage",
	           esim_es9p_build_get_bound_profile_package (transaction_id, prepare_download_response),
	           parse_package, (GDestroyNotify) esim_bound_profile_package_ok_free,
	           fake_package_async, cancellable, callback, user_data);
}

static EsimBoundProfilePackageOk *
fake_package_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return fake_finish (server, res, fake_package_async, error);
}

static void
fake_cancel_async (EsimRspServer *server, const gchar *transaction_id,
                   GBytes *cancel_session_response, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
	FakeRspServer *self = FAKE_RSP_SERVER (server);

	g_clear_pointer (&self->last_bf41, g_bytes_unref);
	self->last_bf41 = g_bytes_ref (cancel_session_response);
	fake_call (self, "cancelSession",
	           esim_es9p_build_cancel_session (transaction_id, cancel_session_response),
	           parse_cancel, NULL, fake_cancel_async, cancellable, callback, user_data);
}

static gboolean
fake_cancel_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return fake_finish (server, res, fake_cancel_async, error) != NULL;
}

static void
fake_rsp_server_iface_init (EsimRspServerInterface *iface)
{
	iface->get_description = fake_get_description;
	iface->initiate_authentication_async = fake_initiate_async;
	iface->initiate_authentication_finish = fake_initiate_finish;
	iface->authenticate_client_async = fake_authenticate_client_async;
	iface->authenticate_client_finish = fake_authenticate_client_finish;
	iface->get_bound_profile_package_async = fake_package_async;
	iface->get_bound_profile_package_finish = fake_package_finish;
	iface->cancel_session_async = fake_cancel_async;
	iface->cancel_session_finish = fake_cancel_finish;
}

static void
fake_rsp_server_finalize (GObject *object)
{
	FakeRspServer *self = FAKE_RSP_SERVER (object);

	g_assert_null (self->hanging);
	g_clear_object (&self->smdp);
	g_free (self->address);
	g_hash_table_unref (self->scripts);
	g_string_free (self->calls, TRUE);
	g_clear_pointer (&self->last_bf38, g_bytes_unref);
	g_clear_pointer (&self->last_bf41, g_bytes_unref);
	G_OBJECT_CLASS (fake_rsp_server_parent_class)->finalize (object);
}

static void
fake_rsp_server_class_init (FakeRspServerClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = fake_rsp_server_finalize;
}

static void
fake_rsp_server_init (FakeRspServer *self)
{
	self->scripts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                                       (GDestroyNotify) script_free);
	self->calls = g_string_new (NULL);
}

FakeRspServer *
fake_rsp_server_new (EsimTestSmdp *smdp)
{
	FakeRspServer *self = g_object_new (FAKE_TYPE_RSP_SERVER, NULL);

	self->smdp = g_object_ref (smdp);
	return self;
}

static Script *
script_for (FakeRspServer *self, const gchar *function)
{
	Script *script = g_new0 (Script, 1);

	g_hash_table_replace (self->scripts, g_strdup (function), script);
	return script;
}

void
fake_rsp_server_fail (FakeRspServer *self, const gchar *function, GError *error,
                      gboolean after_server)
{
	Script *script = script_for (self, function);

	script->error = error;
	script->after_server = after_server;
}

void
fake_rsp_server_hang (FakeRspServer *self, const gchar *function)
{
	script_for (self, function)->hang = TRUE;
}

void
fake_rsp_server_set_address (FakeRspServer *self, const gchar *address)
{
	g_free (self->address);
	self->address = g_strdup (address);
}

void
fake_rsp_server_set_mutate (FakeRspServer *self, FakeRspMutate mutate, gpointer user_data)
{
	self->mutate = mutate;
	self->mutate_data = user_data;
}

const gchar *
fake_rsp_server_get_calls (FakeRspServer *self)
{
	return self->calls->str;
}

gboolean
fake_rsp_server_is_hanging (FakeRspServer *self)
{
	return self->hanging != NULL;
}

GBytes *
fake_rsp_server_get_last_authenticate_server_response (FakeRspServer *self)
{
	return self->last_bf38;
}

GBytes *
fake_rsp_server_get_last_cancel_response (FakeRspServer *self)
{
	return self->last_bf41;
}
