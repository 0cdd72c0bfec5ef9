/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "virtual" channel backend: an EsimChannel onto the software eUICC. */
#pragma once

#include "esim-channel.h"
#include "esim-veuicc.h"

G_BEGIN_DECLS

#define ESIM_TYPE_CHANNEL_VIRTUAL (esim_channel_virtual_get_type ())
G_DECLARE_FINAL_TYPE (EsimChannelVirtual, esim_channel_virtual, ESIM, CHANNEL_VIRTUAL, GObject)

EsimChannelVirtual *esim_channel_virtual_new (EsimVeuicc *card);
EsimVeuicc         *esim_channel_virtual_get_card (EsimChannelVirtual *self);

G_END_DECLS
