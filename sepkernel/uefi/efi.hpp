// SPDX-License-Identifier: Apache-2.0
// The few UEFI interfaces the Bulkhead boot stage uses, declared from the UEFI 2.x and TCG EFI
// Protocol specifications (system table, boot services, loaded image, simple file system, file,
// TCG2). Only the members used are named; the others keep their slots as opaque pointers.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace efi {

using Status = uint64_t;
using Handle = void*;
inline constexpr Status k_success = 0;
inline constexpr Status k_buffer_too_small = 0x8000000000000005ull;

struct Guid {
  uint32_t a;
  uint16_t b, c;
  uint8_t d[8];
};

struct Table_header {
  uint64_t signature;
  uint32_t revision, header_size, crc32, reserved;
};

struct Text_output {
  void* reset;
  Status (*output_string)(Text_output*, const char16_t*);
};

struct Memory_descriptor {
  uint32_t type;
  uint32_t pad;
  uint64_t physical_start, virtual_start, pages, attribute;
};

enum Allocate_type : uint32_t { allocate_any = 0, allocate_max_address = 1, allocate_address = 2 };
inline constexpr uint32_t k_loader_data = 2;
inline constexpr uint32_t k_conventional_memory = 7;
inline constexpr uint32_t k_boot_services_code = 3, k_boot_services_data = 4, k_loader_code = 1;

struct Boot_services {
  Table_header header;
  void* raise_tpl;
  void* restore_tpl;
  Status (*allocate_pages)(uint32_t type, uint32_t memory_type, uint64_t pages, uint64_t* address);
  void* free_pages;
  Status (*get_memory_map)(uint64_t* size, Memory_descriptor* map, uint64_t* key, uint64_t* descriptor_size,
                           uint32_t* descriptor_version);
  Status (*allocate_pool)(uint32_t type, uint64_t size, void** out);
  void* free_pool;
  void* create_event;
  void* set_timer;
  void* wait_for_event;
  void* signal_event;
  void* close_event;
  void* check_event;
  void* install_protocol_interface;
  void* reinstall_protocol_interface;
  void* uninstall_protocol_interface;
  Status (*handle_protocol)(Handle, const Guid*, void** out);
  void* reserved;
  void* register_protocol_notify;
  void* locate_handle;
  void* locate_device_path;
  void* install_configuration_table;
  void* load_image;
  void* start_image;
  void* exit;
  void* unload_image;
  Status (*exit_boot_services)(Handle image, uint64_t map_key);
  void* get_next_monotonic_count;
  void* stall;
  Status (*set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t size, const char16_t* data);
  void* connect_controller;
  void* disconnect_controller;
  void* open_protocol;
  void* close_protocol;
  void* open_protocol_information;
  void* protocols_per_handle;
  void* locate_handle_buffer;
  Status (*locate_protocol)(const Guid*, void* registration, void** out);
};

struct Configuration_table {
  Guid guid;
  void* table;
};

struct System_table {
  Table_header header;
  char16_t* firmware_vendor;
  uint32_t firmware_revision;
  Handle console_in_handle;
  void* con_in;
  Handle console_out_handle;
  Text_output* con_out;
  Handle standard_error_handle;
  Text_output* std_err;
  void* runtime_services;
  Boot_services* boot_services;
  uint64_t table_entries;
  Configuration_table* configuration_table;
};

struct Loaded_image {
  uint32_t revision;
  Handle parent;
  System_table* system_table;
  Handle device;
  void* file_path;
  void* reserved;
  uint32_t load_options_size;
  void* load_options;
  void* image_base;
  uint64_t image_size;
};

struct File {
  uint64_t revision;
  Status (*open)(File*, File** out, const char16_t* name, uint64_t mode, uint64_t attributes);
  Status (*close)(File*);
  void* remove;
  Status (*read)(File*, uint64_t* size, void* buffer);
  void* write;
  Status (*get_position)(File*, uint64_t* position);
  Status (*set_position)(File*, uint64_t position);
};

struct Simple_file_system {
  uint64_t revision;
  Status (*open_volume)(Simple_file_system*, File** root);
};

#pragma pack(push, 1)
struct Tcg2_event_header {
  uint32_t header_size;  // sizeof(Tcg2_event_header) = 14
  uint16_t header_version;
  uint32_t pcr_index;
  uint32_t event_type;
};
struct Tcg2_event {
  uint32_t size;  // whole structure, event data included
  Tcg2_event_header header;
  uint8_t event[1];
};
#pragma pack(pop)

struct Tcg2 {
  void* get_capability;
  Status (*get_event_log)(Tcg2*, uint32_t format, uint64_t* location, uint64_t* last_entry, bool* truncated);
  Status (*hash_log_extend_event)(Tcg2*, uint64_t flags, uint64_t data, uint64_t length, Tcg2_event* event);
};
inline constexpr uint32_t k_event_log_format_tcg2 = 2;

// EFI_GRAPHICS_OUTPUT_PROTOCOL: the firmware's linear framebuffer (UEFI 2.x, 12.9).
struct Graphics_mode_information {
  uint32_t version;
  uint32_t horizontal_resolution;
  uint32_t vertical_resolution;
  uint32_t pixel_format;  // 0 RGB-reserved, 1 BGR-reserved (8 bits each), 2 bit mask, 3 Blt only
  uint32_t red_mask, green_mask, blue_mask, reserved_mask;  // pixel_format 2
  uint32_t pixels_per_scan_line;
};
struct Graphics_mode {
  uint32_t max_mode;
  uint32_t mode;
  Graphics_mode_information* info;
  uint64_t size_of_info;
  uint64_t frame_buffer_base;
  uint64_t frame_buffer_size;
};
struct Graphics_output {
  void* query_mode;
  void* set_mode;
  void* blt;
  Graphics_mode* mode;
};

inline constexpr Guid k_loaded_image = {0x5B1B31A1, 0x9562, 0x11d2, {0x8E, 0x3F, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B}};
inline constexpr Guid k_simple_file_system = {0x964E5B22, 0x6459, 0x11d2, {0x8E, 0x39, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B}};
inline constexpr Guid k_tcg2 = {0x607f766c, 0x7455, 0x42be, {0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f}};
inline constexpr Guid k_graphics_output = {0x9042a9de, 0x23dc, 0x4a38, {0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a}};
inline constexpr Guid k_tcg2_final_events = {0x1e2ed096, 0x30e2, 0x4254, {0xbd, 0x89, 0x86, 0x3b, 0xbe, 0xf8, 0x23, 0x25}};

}  // namespace efi
