/* SPDX-License-Identifier: GPL-2.0-or-later */

#ifdef WITH_POLKIT
#include <polkit/polkit.h>
#endif

#include "esimd-auth.h"
#include "esimd-error.h"

struct _EsimdAuth {
	GObject           parent_instance;
	gboolean          use_polkit;
#ifdef WITH_POLKIT
	PolkitAuthority  *authority;
#endif
};

G_DEFINE_TYPE (EsimdAuth, esimd_auth, G_TYPE_OBJECT)

#ifdef WITH_POLKIT

typedef struct {
	gchar *sender;
	gchar *action;
} AuthContext;

static void
auth_context_free (AuthContext *ctx)
{
	g_free (ctx->sender);
	g_free (ctx->action);
	g_free (ctx);
}

static void
auth_return_unauthorized (GTask *task, const gchar *reason)
{
	AuthContext *ctx = g_task_get_task_data (task);

	g_warning ("refused %s to %s: %s", ctx->action, ctx->sender, reason);
	g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_UNAUTHORIZED,
	                         "not authorized: %s (%s)", reason, ctx->action);
}

static void
auth_check_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	AuthContext *ctx = g_task_get_task_data (task);
	g_autoptr(PolkitAuthorizationResult) result = NULL;
	g_autoptr(GError) error = NULL;

	result = polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), res,
	                                                      &error);
	if (result == NULL) {
		g_autofree gchar *reason = NULL;

		g_dbus_error_strip_remote_error (error);
		reason = g_strdup_printf ("polkit could not be asked: %s", error->message);
		auth_return_unauthorized (task, reason);
		return;
	}
	if (!polkit_authorization_result_get_is_authorized (result)) {
		auth_return_unauthorized (task, polkit_authorization_result_get_is_challenge (result) ?
		                          "authentication required" : "denied by polkit");
		return;
	}
	g_debug ("polkit allowed %s to %s", ctx->action, ctx->sender);
	g_task_return_boolean (task, TRUE);
}

static void
auth_check (GTask *task)
{
	EsimdAuth *self = g_task_get_source_object (task);
	AuthContext *ctx = g_task_get_task_data (task);
	g_autoptr(PolkitSubject) subject = polkit_system_bus_name_new (ctx->sender);

	polkit_authority_check_authorization (self->authority, subject, ctx->action, NULL,
	                                      POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION,
	                                      g_task_get_cancellable (task), auth_check_ready, task);
}

static void
auth_authority_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdAuth *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;
	PolkitAuthority *authority = polkit_authority_get_finish (res, &error);

	if (authority == NULL) {
		g_autofree gchar *reason = g_strdup_printf ("polkit is not available: %s",
		                                            error->message);
		auth_return_unauthorized (task, reason);
		g_object_unref (task);
		return;
	}
	if (self->authority == NULL)
		self->authority = authority;
	else
		g_object_unref (authority);
	auth_check (task);
}

#endif /* WITH_POLKIT */

void
esimd_auth_check_async (EsimdAuth *self,
                        GDBusMethodInvocation *invocation,
                        const gchar *action,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
	g_autoptr(GTask) task = NULL;

	g_return_if_fail (ESIMD_IS_AUTH (self));
	g_return_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation));

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_auth_check_async);
	if (action == NULL || !self->use_polkit) {
		g_task_return_boolean (task, TRUE);
		return;
	}
#ifdef WITH_POLKIT
	{
		AuthContext *ctx = g_new0 (AuthContext, 1);

		ctx->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
		ctx->action = g_strdup (action);
		g_task_set_task_data (task, ctx, (GDestroyNotify) auth_context_free);
		if (ctx->sender == NULL) {
			auth_return_unauthorized (task, "the caller has no bus name");
			return;
		}
		if (self->authority == NULL)
			polkit_authority_get_async (cancellable, auth_authority_ready,
			                            g_steal_pointer (&task));
		else
			auth_check (g_steal_pointer (&task));
	}
#else
	/* without polkit the bus policy file restricts who may call */
	g_task_return_boolean (task, TRUE);
#endif
}

gboolean
esimd_auth_check_finish (EsimdAuth *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
esimd_auth_finalize (GObject *object)
{
#ifdef WITH_POLKIT
	EsimdAuth *self = ESIMD_AUTH (object);

	g_clear_object (&self->authority);
#endif
	G_OBJECT_CLASS (esimd_auth_parent_class)->finalize (object);
}

static void
esimd_auth_class_init (EsimdAuthClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = esimd_auth_finalize;
}

static void
esimd_auth_init (EsimdAuth *self)
{
}

EsimdAuth *
esimd_auth_new (gboolean use_polkit)
{
	EsimdAuth *self = g_object_new (ESIMD_TYPE_AUTH, NULL);

	self->use_polkit = use_polkit;
	return self;
}
