/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esim-channel-virtual.h"
#include "esim-veuicc.h"
#include "esimd-auth.h"
#include "esimd-error.h"
#include "esimd-euicc.h"
#include "esimd-gdbus.h"
#include "esimd-log.h"
#include "esimd-manager.h"

struct _EsimdManager {
	GObject                   parent_instance;
	GDBusConnection          *connection;
	const EsimdConfig        *config;
	EsimdAuth                *auth;
	GDBusObjectManagerServer *object_manager;
	EsimdGdbusManager        *skeleton;
	GPtrArray                *euiccs;         /* EsimdEuicc* in the order they were added */
	GHashTable               *virtual_files;  /* canonical paths already attached */
};

G_DEFINE_TYPE (EsimdManager, esimd_manager, G_TYPE_OBJECT)

/* ---- SetLogging ---- */

typedef struct {
	EsimdManager          *self;
	GDBusMethodInvocation *invocation;
	gchar                 *level;
} SetLoggingContext;

static void
set_logging_context_free (SetLoggingContext *ctx)
{
	g_object_unref (ctx->self);
	g_object_unref (ctx->invocation);
	g_free (ctx->level);
	g_free (ctx);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SetLoggingContext, set_logging_context_free)

static void
set_logging_auth_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SetLoggingContext) ctx = user_data;
	g_autoptr(GError) error = NULL;
	EsimdLogLevel level;

	if (!esimd_auth_check_finish (ESIMD_AUTH (source), res, &error)) {
		esimd_error_return (ctx->invocation, error);
		return;
	}
	if (!esimd_log_level_from_string (ctx->level, &level)) {
		g_dbus_method_invocation_return_error (ctx->invocation, ESIMD_ERROR,
		                                       ESIMD_ERROR_INVALID_ARGS,
		                                       "invalid log level \"%s\" (expected error, "
		                                       "warning, info or debug)", ctx->level);
		return;
	}
	esimd_log_set_level (level);
	g_message ("log level set to %s by %s", ctx->level,
	           g_dbus_method_invocation_get_sender (ctx->invocation));
	esimd_gdbus_manager_complete_set_logging (ctx->self->skeleton, ctx->invocation);
}

static gboolean
handle_set_logging (EsimdGdbusManager *skeleton,
                    GDBusMethodInvocation *invocation,
                    const gchar *level,
                    EsimdManager *self)
{
	SetLoggingContext *ctx = g_new0 (SetLoggingContext, 1);

	ctx->self = g_object_ref (self);
	ctx->invocation = g_object_ref (invocation);
	ctx->level = g_strdup (level);
	esimd_auth_check_async (self->auth, invocation, ESIMD_AUTH_CONFIGURE_EIM, NULL,
	                        set_logging_auth_ready, ctx);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- eUICCs ---- */

gboolean
esimd_manager_add_virtual_euicc (EsimdManager *self, const gchar *path)
{
	g_autofree gchar *canonical = NULL;
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(EsimChannelVirtual) channel = NULL;
	g_autoptr(GError) error = NULL;
	EsimdEuicc *euicc;

	g_return_val_if_fail (ESIMD_IS_MANAGER (self), FALSE);
	g_return_val_if_fail (path != NULL, FALSE);

	/* two eUICCs over one state file would overwrite each other's changes */
	canonical = g_canonicalize_filename (path, NULL);
	if (g_hash_table_contains (self->virtual_files, canonical)) {
		g_debug ("software eUICC %s given twice", canonical);
		return FALSE;
	}
	card = esim_veuicc_new_from_file (canonical, TRUE, &error);
	if (card == NULL) {
		g_warning ("refusing software eUICC %s: %s", canonical, error->message);
		return FALSE;
	}
	channel = esim_channel_virtual_new (card);
	euicc = esimd_euicc_new (self->object_manager, self->auth, self->config,
	                         ESIM_CHANNEL (channel));
	g_ptr_array_add (self->euiccs, euicc);
	esimd_obj_info (esimd_euicc_get_log_id (euicc), "software eUICC %s", canonical);
	g_hash_table_add (self->virtual_files, g_steal_pointer (&canonical));
	return TRUE;
}

guint
esimd_manager_get_n_euiccs (EsimdManager *self)
{
	g_return_val_if_fail (ESIMD_IS_MANAGER (self), 0);
	return self->euiccs->len;
}

static void
manager_publish_euiccs (EsimdManager *self)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new ();

	for (guint i = 0; i < self->euiccs->len; i++) {
		EsimdEuicc *euicc = g_ptr_array_index (self->euiccs, i);

		esimd_euicc_export (euicc);
		g_ptr_array_add (paths, (gpointer) esimd_euicc_get_path (euicc));
	}
	g_ptr_array_add (paths, NULL);
	esimd_gdbus_manager_set_euiccs (self->skeleton, (const gchar *const *) paths->pdata);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

/* ---- start: export root -> probe every eUICC -> export them ---- */

typedef enum {
	START_STEP_FIRST,
	START_STEP_EXPORT,
	START_STEP_PROBE,
	START_STEP_PUBLISH,
	START_STEP_LAST,
} StartStep;

typedef struct {
	StartStep step;
	guint     probes_pending;
} StartContext;

static void start_step (GTask *task);

static void
start_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	StartContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	/* a card that failed its probe is still shown, in State "error" */
	esimd_euicc_probe_finish (ESIMD_EUICC (source), res, &error);
	if (--ctx->probes_pending > 0)
		return;
	ctx->step++;
	start_step (task);
}

static void
start_step (GTask *task)
{
	EsimdManager *self = g_task_get_source_object (task);
	StartContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	switch (ctx->step) {
	case START_STEP_FIRST:
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_EXPORT:
		g_dbus_object_manager_server_set_connection (self->object_manager, self->connection);
		if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton),
		                                       self->connection, ESIMD_ROOT_PATH, &error)) {
			g_task_return_error (task, error);
			g_object_unref (task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_PROBE:
		if (self->euiccs->len > 0) {
			/* cards are independent: probe them all at once */
			ctx->probes_pending = self->euiccs->len;
			for (guint i = 0; i < self->euiccs->len; i++)
				esimd_euicc_probe_async (g_ptr_array_index (self->euiccs, i),
				                         g_task_get_cancellable (task), start_probe_ready,
				                         task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_PUBLISH:
		manager_publish_euiccs (self);
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_LAST:
	default:
		g_task_return_boolean (task, TRUE);
		g_object_unref (task);
		return;
	}
}

void
esimd_manager_start_async (EsimdManager *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
	GTask *task;

	g_return_if_fail (ESIMD_IS_MANAGER (self));

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_manager_start_async);
	g_task_set_task_data (task, g_new0 (StartContext, 1), g_free);
	start_step (task);
}

gboolean
esimd_manager_start_finish (EsimdManager *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- stop ---- */

static void
stop_euicc_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	guint *pending = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_close_finish (ESIMD_EUICC (source), res, &error))
		g_debug ("closing %s: %s", esimd_euicc_get_log_id (ESIMD_EUICC (source)),
		         error->message);
	if (--(*pending) == 0)
		g_task_return_boolean (task, TRUE);
}

void
esimd_manager_stop_async (EsimdManager *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	guint *pending;

	g_return_if_fail (ESIMD_IS_MANAGER (self));

	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esimd_manager_stop_async);
	if (self->euiccs->len == 0) {
		g_task_return_boolean (task, TRUE);
		return;
	}
	pending = g_new0 (guint, 1);
	*pending = self->euiccs->len;
	g_task_set_task_data (task, pending, g_free);
	for (guint i = 0; i < self->euiccs->len; i++)
		esimd_euicc_close_async (g_ptr_array_index (self->euiccs, i), stop_euicc_closed,
		                         g_object_ref (task));
}

gboolean
esimd_manager_stop_finish (EsimdManager *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- object ---- */

EsimdManager *
esimd_manager_new (GDBusConnection *connection, const EsimdConfig *config, gboolean use_polkit)
{
	EsimdManager *self;

	g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
	g_return_val_if_fail (config != NULL, NULL);

	self = g_object_new (ESIMD_TYPE_MANAGER, NULL);
	self->connection = g_object_ref (connection);
	self->config = config;
	self->auth = esimd_auth_new (use_polkit);
	self->object_manager = g_dbus_object_manager_server_new (ESIMD_ROOT_PATH);
	self->skeleton = esimd_gdbus_manager_skeleton_new ();
	esimd_gdbus_manager_set_version (self->skeleton, PACKAGE_VERSION);
	esimd_gdbus_manager_set_euiccs (self->skeleton, NULL);
	g_signal_connect_object (self->skeleton, "handle-set-logging",
	                         G_CALLBACK (handle_set_logging), self, 0);
	return self;
}

static void
esimd_manager_dispose (GObject *object)
{
	EsimdManager *self = ESIMD_MANAGER (object);

	g_clear_pointer (&self->euiccs, g_ptr_array_unref);
	if (self->skeleton != NULL &&
	    g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)))
		g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
	g_clear_object (&self->skeleton);
	g_clear_object (&self->object_manager);
	g_clear_object (&self->auth);
	g_clear_object (&self->connection);
	G_OBJECT_CLASS (esimd_manager_parent_class)->dispose (object);
}

static void
esimd_manager_finalize (GObject *object)
{
	EsimdManager *self = ESIMD_MANAGER (object);

	g_hash_table_unref (self->virtual_files);
	G_OBJECT_CLASS (esimd_manager_parent_class)->finalize (object);
}

static void
esimd_manager_class_init (EsimdManagerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esimd_manager_dispose;
	object_class->finalize = esimd_manager_finalize;
}

static void
esimd_manager_init (EsimdManager *self)
{
	self->euiccs = g_ptr_array_new_with_free_func (g_object_unref);
	self->virtual_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
