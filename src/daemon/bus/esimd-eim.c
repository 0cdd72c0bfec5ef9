/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esimd-eim.h"
#include "esimd-gdbus.h"

struct _EsimdEim {
	GObject                   parent_instance;
	gchar                    *path;
	EsimdGdbusObjectSkeleton *object;
	EsimdGdbusEim            *skeleton;
};

G_DEFINE_TYPE (EsimdEim, esimd_eim, G_TYPE_OBJECT)

/* never reused while the daemon runs */
static guint next_eim_id = 0;

static const gchar *
eim_id_type_to_string (gint id_type)
{
	switch (id_type) {
	case 1:
		return "oid";
	case 2:
		return "fqdn";
	case 3:
		return "proprietary";
	default:
		return "";
	}
}

static GStrv
eim_protocols_to_strv (guint protocols)
{
	static const struct {
		guint        bit;
		const gchar *name;
	} names[] = {
		{ ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS, "retrieve-https" },
		{ ESIM_EIM_PROTOCOL_RETRIEVE_COAPS, "retrieve-coaps" },
		{ ESIM_EIM_PROTOCOL_INJECT_HTTPS, "inject-https" },
		{ ESIM_EIM_PROTOCOL_INJECT_COAPS, "inject-coaps" },
		{ ESIM_EIM_PROTOCOL_PROPRIETARY, "proprietary" },
	};
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		if (protocols & names[i].bit)
			g_strv_builder_add (builder, names[i].name);
	}
	return g_strv_builder_end (builder);
}

void
esimd_eim_update (EsimdEim *self, const EsimEimConfig *config)
{
	g_auto(GStrv) protocols = NULL;

	g_return_if_fail (ESIMD_IS_EIM (self));
	g_return_if_fail (config != NULL);

	protocols = eim_protocols_to_strv (config->supported_protocols);
	esimd_gdbus_eim_set_eim_id (self->skeleton, config->eim_id != NULL ? config->eim_id : "");
	esimd_gdbus_eim_set_fqdn (self->skeleton, config->fqdn != NULL ? config->fqdn : "");
	esimd_gdbus_eim_set_id_type (self->skeleton, eim_id_type_to_string (config->id_type));
	esimd_gdbus_eim_set_counter (self->skeleton, config->counter_value);
	esimd_gdbus_eim_set_supported_protocols (self->skeleton, (const gchar *const *) protocols);
	esimd_gdbus_eim_set_indirect_download (self->skeleton, config->indirect_profile_download);
}

EsimdEim *
esimd_eim_new (const gchar *euicc_path, const EsimEimConfig *config)
{
	EsimdEim *self;

	g_return_val_if_fail (euicc_path != NULL, NULL);
	g_return_val_if_fail (config != NULL, NULL);

	self = g_object_new (ESIMD_TYPE_EIM, NULL);
	self->path = g_strdup_printf ("/org/freedesktop/Esimd1/Eim/%u", next_eim_id++);
	self->object = esimd_gdbus_object_skeleton_new (self->path);
	self->skeleton = esimd_gdbus_eim_skeleton_new ();
	esimd_gdbus_eim_set_euicc (self->skeleton, euicc_path);
	esimd_gdbus_eim_set_last_poll (self->skeleton, 0);
	esimd_gdbus_eim_set_next_poll (self->skeleton, 0);
	esimd_gdbus_eim_set_last_error (self->skeleton, "");
	esimd_eim_update (self, config);
	esimd_gdbus_object_skeleton_set_eim (self->object, self->skeleton);
	return self;
}

const gchar *
esimd_eim_get_path (EsimdEim *self)
{
	g_return_val_if_fail (ESIMD_IS_EIM (self), NULL);
	return self->path;
}

GDBusObjectSkeleton *
esimd_eim_get_object (EsimdEim *self)
{
	g_return_val_if_fail (ESIMD_IS_EIM (self), NULL);
	return G_DBUS_OBJECT_SKELETON (self->object);
}

const gchar *
esimd_eim_get_eim_id (EsimdEim *self)
{
	g_return_val_if_fail (ESIMD_IS_EIM (self), NULL);
	return esimd_gdbus_eim_get_eim_id (self->skeleton);
}

EsimdGdbusEim *
esimd_eim_get_skeleton (EsimdEim *self)
{
	g_return_val_if_fail (ESIMD_IS_EIM (self), NULL);
	return self->skeleton;
}

void
esimd_eim_set_poll_state (EsimdEim *self, gint64 last_poll, gint64 next_poll,
                          const gchar *last_error)
{
	g_return_if_fail (ESIMD_IS_EIM (self));

	esimd_gdbus_eim_set_last_poll (self->skeleton, last_poll);
	esimd_gdbus_eim_set_next_poll (self->skeleton, next_poll);
	esimd_gdbus_eim_set_last_error (self->skeleton, last_error != NULL ? last_error : "");
}

void
esimd_eim_flush (EsimdEim *self)
{
	g_return_if_fail (ESIMD_IS_EIM (self));
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

static void
esimd_eim_dispose (GObject *object)
{
	EsimdEim *self = ESIMD_EIM (object);

	g_clear_object (&self->skeleton);
	g_clear_object (&self->object);
	G_OBJECT_CLASS (esimd_eim_parent_class)->dispose (object);
}

static void
esimd_eim_finalize (GObject *object)
{
	EsimdEim *self = ESIMD_EIM (object);

	g_free (self->path);
	G_OBJECT_CLASS (esimd_eim_parent_class)->finalize (object);
}

static void
esimd_eim_class_init (EsimdEimClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esimd_eim_dispose;
	object_class->finalize = esimd_eim_finalize;
}

static void
esimd_eim_init (EsimdEim *self)
{
}
