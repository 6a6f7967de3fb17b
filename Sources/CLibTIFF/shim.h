#ifndef CELLTRACK_CLIBTIFF_SHIM_H
#define CELLTRACK_CLIBTIFF_SHIM_H
// libtiff through non-variadic wrappers: TIFFGetField/TIFFSetField are C variadics,
// which Swift cannot call. Each wrapper names the C type of the tag it reads or writes.
#include <tiffio.h>
#include <stdint.h>

static inline int ct_get_u16(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_u32(TIFF *t, uint32_t tag, uint32_t *v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_float(TIFF *t, uint32_t tag, float *v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_string(TIFF *t, uint32_t tag, const char **v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_u16_defaulted(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetFieldDefaulted(t, tag, v); }
static inline int ct_get_u32_defaulted(TIFF *t, uint32_t tag, uint32_t *v) { return TIFFGetFieldDefaulted(t, tag, v); }
// Tags whose value is (count, array): ExtraSamples, SampleInfo, ...
static inline int ct_get_u16_array(TIFF *t, uint32_t tag, uint16_t *count, uint16_t **values) {
    return TIFFGetField(t, tag, count, values);
}
// ColorMap: three arrays of 2^bits uint16 entries each.
static inline int ct_get_colormap(TIFF *t, uint16_t **r, uint16_t **g, uint16_t **b) {
    return TIFFGetField(t, TIFFTAG_COLORMAP, r, g, b);
}

static inline int ct_set_u16(TIFF *t, uint32_t tag, uint16_t v) { return TIFFSetField(t, tag, (int)v); }
static inline int ct_set_u32(TIFF *t, uint32_t tag, uint32_t v) { return TIFFSetField(t, tag, v); }
static inline int ct_set_float(TIFF *t, uint32_t tag, float v) { return TIFFSetField(t, tag, (double)v); }
static inline int ct_set_string(TIFF *t, uint32_t tag, const char *v) { return TIFFSetField(t, tag, v); }
static inline int ct_set_u16_array(TIFF *t, uint32_t tag, uint16_t count, const uint16_t *values) {
    return TIFFSetField(t, tag, count, values);
}
// ImageJ writes SubfileType/NewSubfileType; libtiff needs an int-promoted value.
static inline int ct_set_subfiletype(TIFF *t, uint32_t v) { return TIFFSetField(t, TIFFTAG_SUBFILETYPE, v); }

// Handlers: libtiff prints to stderr unless given handlers. The Swift side installs one
// C-compatible function that receives the already formatted message.
typedef void (*ct_message_sink)(int is_error, const char *module, const char *message);

#include <stdio.h>
#include <stdarg.h>
static ct_message_sink ct_sink_ptr = 0;
static inline void ct_format_and_forward(int is_error, const char *module, const char *fmt, va_list ap) {
    char buffer[1024];
    vsnprintf(buffer, sizeof buffer, fmt, ap);
    if (ct_sink_ptr) ct_sink_ptr(is_error, module ? module : "", buffer);
}
static inline void ct_error_handler(const char *module, const char *fmt, va_list ap) { ct_format_and_forward(1, module, fmt, ap); }
static inline void ct_warning_handler(const char *module, const char *fmt, va_list ap) { ct_format_and_forward(0, module, fmt, ap); }
static inline void ct_install_handlers_inline(ct_message_sink sink) {
    ct_sink_ptr = sink;
    TIFFSetErrorHandler(ct_error_handler);
    TIFFSetWarningHandler(ct_warning_handler);
}
#endif
