/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esimd-error.h"
#include "esimd-euicc-dbus.h"
#include "esimd-gdbus.h"
#include "esimd-profile.h"

struct _EsimdProfile {
	GObject                   parent_instance;
	gchar                    *path;
	gchar                    *iccid;
	EsimdEuicc               *euicc;   /* weak: the eUICC owns its profiles */
	EsimdGdbusObjectSkeleton *object;
	EsimdGdbusProfile        *skeleton;
};

G_DEFINE_TYPE (EsimdProfile, esimd_profile, G_TYPE_OBJECT)

/* never reused while the daemon runs */
static guint next_profile_id = 0;

static gboolean
profile_forward (EsimdProfile *self,
                 GDBusMethodInvocation *invocation,
                 EsimdOpKind kind,
                 GVariant *arg)
{
	if (self->euicc == NULL) {
		g_autoptr(GError) error = g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
		                                               "the profile's eUICC is gone");
		esimd_error_return (invocation, error);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	esimd_euicc_dbus_submit (self->euicc, invocation, kind, self->iccid, arg);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_enable (EsimdGdbusProfile *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
               EsimdProfile *self)
{
	return profile_forward (self, invocation, ESIMD_OP_ENABLE_PROFILE, options);
}

static gboolean
handle_disable (EsimdGdbusProfile *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
                EsimdProfile *self)
{
	return profile_forward (self, invocation, ESIMD_OP_DISABLE_PROFILE, options);
}

static gboolean
handle_delete (EsimdGdbusProfile *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
               EsimdProfile *self)
{
	return profile_forward (self, invocation, ESIMD_OP_DELETE_PROFILE, options);
}

static gboolean
handle_set_nickname (EsimdGdbusProfile *skeleton, GDBusMethodInvocation *invocation,
                     const gchar *nickname, EsimdProfile *self)
{
	g_autoptr(GVariant) arg = g_variant_ref_sink (g_variant_new_string (nickname));

	return profile_forward (self, invocation, ESIMD_OP_SET_NICKNAME, arg);
}

static const gchar *
string_or_empty (const gchar *value)
{
	return value != NULL ? value : "";
}

void
esimd_profile_update (EsimdProfile *self, const EsimProfileInfo *info)
{
	g_return_if_fail (ESIMD_IS_PROFILE (self));
	g_return_if_fail (info != NULL);

	esimd_gdbus_profile_set_aid (self->skeleton, string_or_empty (info->isdp_aid));
	esimd_gdbus_profile_set_state (self->skeleton, esim_profile_state_to_string (info->state));
	esimd_gdbus_profile_set_name (self->skeleton, string_or_empty (info->name));
	esimd_gdbus_profile_set_service_provider (self->skeleton,
	                                          string_or_empty (info->service_provider));
	esimd_gdbus_profile_set_nickname (self->skeleton, string_or_empty (info->nickname));
	esimd_gdbus_profile_set_class (self->skeleton,
	                               esim_profile_class_to_string (info->profile_class));
}

void
esimd_profile_set_state_unknown (EsimdProfile *self)
{
	g_return_if_fail (ESIMD_IS_PROFILE (self));
	esimd_gdbus_profile_set_state (self->skeleton, "unknown");
}

EsimdProfile *
esimd_profile_new (EsimdEuicc *euicc, const EsimProfileInfo *info)
{
	EsimdProfile *self;

	g_return_val_if_fail (ESIMD_IS_EUICC (euicc), NULL);
	g_return_val_if_fail (info != NULL && info->iccid != NULL, NULL);

	self = g_object_new (ESIMD_TYPE_PROFILE, NULL);
	self->path = g_strdup_printf ("/org/freedesktop/Esimd1/Profile/%u", next_profile_id++);
	self->iccid = g_strdup (info->iccid);
	self->euicc = euicc;
	g_object_add_weak_pointer (G_OBJECT (euicc), (gpointer *) &self->euicc);

	self->object = esimd_gdbus_object_skeleton_new (self->path);
	self->skeleton = esimd_gdbus_profile_skeleton_new ();
	esimd_gdbus_profile_set_iccid (self->skeleton, info->iccid);
	esimd_gdbus_profile_set_euicc (self->skeleton, esimd_euicc_get_path (euicc));
	esimd_profile_update (self, info);
	g_signal_connect_object (self->skeleton, "handle-enable", G_CALLBACK (handle_enable), self, 0);
	g_signal_connect_object (self->skeleton, "handle-disable", G_CALLBACK (handle_disable), self,
	                         0);
	g_signal_connect_object (self->skeleton, "handle-delete", G_CALLBACK (handle_delete), self, 0);
	g_signal_connect_object (self->skeleton, "handle-set-nickname",
	                         G_CALLBACK (handle_set_nickname), self, 0);
	esimd_gdbus_object_skeleton_set_profile (self->object, self->skeleton);
	return self;
}

const gchar *
esimd_profile_get_path (EsimdProfile *self)
{
	g_return_val_if_fail (ESIMD_IS_PROFILE (self), NULL);
	return self->path;
}

const gchar *
esimd_profile_get_iccid (EsimdProfile *self)
{
	g_return_val_if_fail (ESIMD_IS_PROFILE (self), NULL);
	return self->iccid;
}

GDBusObjectSkeleton *
esimd_profile_get_object (EsimdProfile *self)
{
	g_return_val_if_fail (ESIMD_IS_PROFILE (self), NULL);
	return G_DBUS_OBJECT_SKELETON (self->object);
}

void
esimd_profile_flush (EsimdProfile *self)
{
	g_return_if_fail (ESIMD_IS_PROFILE (self));
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

static void
esimd_profile_dispose (GObject *object)
{
	EsimdProfile *self = ESIMD_PROFILE (object);

	if (self->euicc != NULL) {
		g_object_remove_weak_pointer (G_OBJECT (self->euicc), (gpointer *) &self->euicc);
		self->euicc = NULL;
	}
	g_clear_object (&self->skeleton);
	g_clear_object (&self->object);
	G_OBJECT_CLASS (esimd_profile_parent_class)->dispose (object);
}

static void
esimd_profile_finalize (GObject *object)
{
	EsimdProfile *self = ESIMD_PROFILE (object);

	g_free (self->path);
	g_free (self->iccid);
	G_OBJECT_CLASS (esimd_profile_parent_class)->finalize (object);
}

static void
esimd_profile_class_init (EsimdProfileClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esimd_profile_dispose;
	object_class->finalize = esimd_profile_finalize;
}

static void
esimd_profile_init (EsimdProfile *self)
{
}
