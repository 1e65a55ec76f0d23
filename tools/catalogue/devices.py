#!/usr/bin/env python3
"""Generates and checks the device catalogue (aimlib-protocol/.../devices.json).

  python3 tools/catalogue/devices.py generate      # rewrite devices.json from the table below
  python3 tools/catalogue/devices.py check [NET]   # internal consistency; with NET (the network.json inside
                                                   # npm fingerprint-generator's fingerprint-network-definition.zip)
                                                   # also cross-check models, GPU strings and CSS screens against it

Derived values (css_screen, viewport, device_memory, storage_quota, per-version builds) are computed here, so
the JSON cannot drift from the rules CatalogueTest checks. Sources: see the README.md next to devices.json.
"""
import json, math, os, sys, zlib

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'aimlib-protocol', 'src', 'main', 'resources',
                   'com', 'aimlib', 'protocol', 'devices.json')
VERSION = '2026.11'

# WebGL 1 limits by GPU family, as the GLES driver reports them through ANGLE on Android Chrome.
ADRENO = dict(max_texture_size=16384, max_cube_map_texture_size=16384, max_renderbuffer_size=16384,
              max_viewport_dims=[16384, 16384], max_vertex_attribs=32, max_vertex_uniform_vectors=256,
              max_fragment_uniform_vectors=256, max_varying_vectors=31, max_texture_image_units=16,
              max_vertex_texture_image_units=16, max_combined_texture_image_units=96,
              aliased_line_width_range=[1, 8], aliased_point_size_range=[1, 1023])
MALI = dict(max_texture_size=8192, max_cube_map_texture_size=8192, max_renderbuffer_size=8192,
            max_viewport_dims=[8192, 8192], max_vertex_attribs=16, max_vertex_uniform_vectors=1024,
            max_fragment_uniform_vectors=1024, max_varying_vectors=15, max_texture_image_units=16,
            max_vertex_texture_image_units=16, max_combined_texture_image_units=96,
            aliased_line_width_range=[1, 2048], aliased_point_size_range=[1, 1024])
MALI_VALHALL = dict(MALI, max_texture_size=16384, max_cube_map_texture_size=16384, max_renderbuffer_size=16384,
                    max_viewport_dims=[16384, 16384])
XCLIPSE = dict(max_texture_size=16384, max_cube_map_texture_size=16384, max_renderbuffer_size=16384,
               max_viewport_dims=[16384, 16384], max_vertex_attribs=16, max_vertex_uniform_vectors=4096,
               max_fragment_uniform_vectors=4096, max_varying_vectors=31, max_texture_image_units=16,
               max_vertex_texture_image_units=16, max_combined_texture_image_units=96,
               aliased_line_width_range=[1, 1], aliased_point_size_range=[1, 1024])

ANDROID_FONTS = ['Roboto', 'Roboto Flex', 'Noto Sans', 'Noto Serif', 'Noto Color Emoji', 'Droid Sans Mono',
                 'Cutive Mono', 'Coming Soon', 'Dancing Script', 'Carrois Gothic SC', 'Source Sans Pro']
FONTS = {
    'Google': ANDROID_FONTS + ['Google Sans', 'Google Sans Text'],
    'samsung': ANDROID_FONTS + ['SamsungOne', 'SamsungOneUI', 'SamsungSans', 'SamsungColorEmoji'],
    'Xiaomi': ANDROID_FONTS + ['MiSans', 'MiSans VF'],
    'OnePlus': ANDROID_FONTS + ['OnePlus Sans', 'OPlusSans 3.0'],
    'motorola': ANDROID_FONTS,
}

# name, aliases, model, brand, manufacturer, (first, last android), codename, build ids by version, screen, dpi,
# dpr, bars_dp (status + Chrome toolbar + navigation), ram_gb, storage_gb, gpu vendor, renderer, limits
G = ('Google', 'google')
D = [
    ('pixel-7', ['Pixel 7', 'panther'], 'Pixel 7', 'google', 'Google', (13, 16), 'panther', [1080, 2400], 420, 2.625, 76, 8, 128, 'ARM', 'Mali-G710', MALI_VALHALL),
    ('pixel-7a', ['Pixel 7a', 'lynx'], 'Pixel 7a', 'google', 'Google', (13, 16), 'lynx', [1080, 2400], 420, 2.625, 76, 8, 128, 'ARM', 'Mali-G710', MALI_VALHALL),
    ('pixel-7-pro', ['Pixel 7 Pro', 'cheetah'], 'Pixel 7 Pro', 'google', 'Google', (13, 16), 'cheetah', [1440, 3120], 560, 3.5, 76, 12, 128, 'ARM', 'Mali-G710', MALI_VALHALL),
    ('pixel-8', ['Pixel 8', 'shiba'], 'Pixel 8', 'google', 'Google', (14, 16), 'shiba', [1080, 2400], 420, 2.625, 76, 8, 128, 'ARM', 'Mali-G715', MALI_VALHALL),
    ('pixel-8a', ['Pixel 8a', 'akita'], 'Pixel 8a', 'google', 'Google', (14, 16), 'akita', [1080, 2400], 420, 2.625, 76, 8, 128, 'ARM', 'Mali-G715', MALI_VALHALL),
    ('pixel-8-pro', ['Pixel 8 Pro', 'husky'], 'Pixel 8 Pro', 'google', 'Google', (14, 16), 'husky', [1008, 2244], 360, 2.25, 76, 12, 128, 'ARM', 'Mali-G715', MALI_VALHALL),
    ('pixel-9', ['Pixel 9', 'tokay'], 'Pixel 9', 'google', 'Google', (14, 16), 'tokay', [1080, 2424], 420, 2.625, 76, 12, 128, 'ARM', 'Mali-G715', MALI_VALHALL),
    ('pixel-9-pro', ['Pixel 9 Pro', 'caiman'], 'Pixel 9 Pro', 'google', 'Google', (14, 16), 'caiman', [1280, 2856], 480, 3.0, 76, 16, 128, 'ARM', 'Mali-G715', MALI_VALHALL),
    ('pixel-9-pro-xl', ['Pixel 9 Pro XL', 'komodo'], 'Pixel 9 Pro XL', 'google', 'Google', (14, 16), 'komodo', [1344, 2992], 480, 3.0, 76, 16, 128, 'ARM', 'Mali-G715', MALI_VALHALL),
    ('galaxy-s23', ['Galaxy S23', 'SM-S911B'], 'SM-S911B', 'samsung', 'samsung', (13, 16), 'dm1q', [1080, 2340], 480, 3.0, 92, 8, 128, 'Qualcomm', 'Adreno (TM) 740', ADRENO),
    ('galaxy-s23-ultra', ['Galaxy S23 Ultra', 'SM-S918B'], 'SM-S918B', 'samsung', 'samsung', (13, 16), 'dm3q', [1080, 2316], 450, 2.8125, 92, 12, 256, 'Qualcomm', 'Adreno (TM) 740', ADRENO),
    ('galaxy-s24', ['Galaxy S24', 'SM-S921B'], 'SM-S921B', 'samsung', 'samsung', (14, 16), 'e1s', [1080, 2340], 480, 3.0, 92, 8, 128, 'Samsung Electronics Co., Ltd.', 'ANGLE ((Samsung Xclipse 940) on Vulkan 1.3.279)', XCLIPSE),
    ('galaxy-s24-ultra', ['Galaxy S24 Ultra', 'SM-S928B'], 'SM-S928B', 'samsung', 'samsung', (14, 16), 'e3q', [1080, 2340], 450, 2.8125, 92, 12, 256, 'Qualcomm', 'Adreno (TM) 750', ADRENO),
    ('galaxy-a15', ['Galaxy A15', 'SM-A155F'], 'SM-A155F', 'samsung', 'samsung', (14, 16), 'a15', [1080, 2340], 450, 2.8125, 92, 4, 128, 'ARM', 'Mali-G57 MC2', MALI),
    ('galaxy-a35', ['Galaxy A35', 'SM-A356B'], 'SM-A356B', 'samsung', 'samsung', (14, 16), 'a35x', [1080, 2340], 450, 2.8125, 92, 6, 128, 'ARM', 'Mali-G68', MALI),
    ('galaxy-a55', ['Galaxy A55', 'SM-A556B'], 'SM-A556B', 'samsung', 'samsung', (14, 16), 'a55x', [1080, 2340], 450, 2.8125, 92, 8, 128, 'Samsung Electronics Co., Ltd.', 'ANGLE ((Samsung Xclipse 530) on Vulkan 1.3.279)', XCLIPSE),
    ('redmi-note-13-pro', ['Redmi Note 13 Pro', '23117RA68G'], '23117RA68G', 'Redmi', 'Xiaomi', (13, 15), 'emerald', [1080, 2400], 440, 2.75, 80, 8, 256, 'ARM', 'Mali-G57 MC2', MALI),
    ('redmi-note-13-pro-5g', ['Redmi Note 13 Pro 5G', '2312DRA50G'], '2312DRA50G', 'Redmi', 'Xiaomi', (13, 15), 'garnet', [1220, 2712], 440, 2.75, 80, 8, 256, 'Qualcomm', 'Adreno (TM) 710', ADRENO),
    ('xiaomi-14', ['Xiaomi 14', '23127PN0CG'], '23127PN0CG', 'Xiaomi', 'Xiaomi', (14, 16), 'houji', [1200, 2670], 440, 2.75, 80, 12, 256, 'Qualcomm', 'Adreno (TM) 750', ADRENO),
    ('oneplus-12', ['OnePlus 12', 'CPH2581'], 'CPH2581', 'OnePlus', 'OnePlus', (14, 16), 'OP595DL1', [1440, 3168], 560, 3.5, 80, 12, 256, 'Qualcomm', 'Adreno (TM) 750', ADRENO),
    ('oneplus-nord-ce4', ['OnePlus Nord CE4', 'CPH2613'], 'CPH2613', 'OnePlus', 'OnePlus', (14, 15), 'OP5DF5L1', [1080, 2412], 480, 3.0, 80, 8, 128, 'Qualcomm', 'Adreno (TM) 720', ADRENO),
    ('moto-g84', ['Moto G84', 'moto g84 5G'], 'moto g84 5G', 'motorola', 'motorola', (13, 15), 'bangkk', [1080, 2400], 400, 2.5, 76, 12, 256, 'Qualcomm', 'Adreno (TM) 619', ADRENO),
    ('motorola-edge-40', ['Motorola Edge 40', 'Edge 40'], 'motorola edge 40', 'motorola', 'motorola', (13, 15), 'lyriq', [1080, 2400], 400, 2.5, 76, 8, 256, 'ARM', 'Mali-G77 MC9', MALI_VALHALL),
    ('moto-g34', ['Moto G34', 'moto g34 5G'], 'moto g34 5G', 'motorola', 'motorola', (14, 15), 'fogona', [720, 1600], 280, 1.75, 76, 4, 64, 'Qualcomm', 'Adreno (TM) 619', ADRENO),
]

# Build ids (release branch letters per Android version, as Google names AOSP releases) and patch dates.
RELEASE = {13: ('TQ3A.230901.001', '2023-09-01'), 14: ('AP2A.240905.003', '2024-09-05'),
           15: ('BP1A.250505.005', '2025-05-05'), 16: ('BP3A.251005.004', '2025-10-05')}


def fingerprint(brand, codename, version, model, manufacturer):
    build, patch = RELEASE[version]
    if manufacturer == 'Google':
        return f'google/{codename}/{codename}:{version}/{build}/{zlib.crc32((codename + build).encode()) % 10**8:08d}:user/release-keys'
    incremental = {'samsung': 'XXU', 'Xiaomi': 'V', 'OnePlus': 'R.', 'motorola': 'S'}[manufacturer]
    prod = codename + ('xx' if manufacturer == 'samsung' else '_global' if manufacturer == 'Xiaomi' else '')
    return f'{brand}/{prod}/{codename}:{version}/{build}/{incremental}{version}{codename[:3].upper()}{patch[2:4]}{patch[5:7]}:user/release-keys'


def device_memory(ram_gb):
    usable = ram_gb * 0.93 * 1024  # the kernel and carve-outs keep ~7 %; Chrome rounds what it sees
    lower = 2 ** int(math.floor(math.log2(usable)))
    bucket = lower if usable - lower < 2 * lower - usable else 2 * lower
    return min(8, bucket / 1024)


def entry(row):
    (name, aliases, model, brand, manufacturer, (first, last), codename, screen, dpi, dpr, bars, ram, storage,
     vendor, renderer, limits) = row
    versions = [str(v) for v in range(first, last + 1)]
    css = [math.ceil(screen[0] / dpr - 1e-9), math.ceil(screen[1] / dpr - 1e-9)]
    builds = {str(v): {'build_fingerprint': fingerprint(brand, codename, v, model, manufacturer),
                       'security_patch': RELEASE[v][1]} for v in range(first, last + 1)}
    default = versions[-1]
    dm = device_memory(ram)
    return {
        'name': name, 'aliases': aliases, 'model': model, 'brand': brand, 'manufacturer': manufacturer,
        'android_versions': versions, 'android_version': default,
        'security_patch': builds[default]['security_patch'], 'build_fingerprint': builds[default]['build_fingerprint'],
        'builds': builds,
        'screen': screen, 'dpi': dpi, 'dpr': dpr, 'css_screen': css, 'viewport': [css[0], css[1] - bars],
        'touch_points': 5, 'cores': 8, 'ram_gb': ram, 'device_memory': int(dm) if dm == int(dm) else dm,
        'storage_gb': storage, 'storage_quota': int(storage * 1e9 * 0.6),
        'gpu': {'vendor': vendor, 'renderer': renderer}, 'webgl': limits,
        'fonts': FONTS[manufacturer if manufacturer in FONTS else brand], 'audio_sample_rate': 48000,
    }


def generate():
    doc = {'version': VERSION, 'devices': [entry(r) for r in D]}
    with open(OUT, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print(f'wrote {len(D)} devices to {os.path.normpath(OUT)}')


def check(net=None):
    doc = json.load(open(OUT))
    errors, seen = [], {}
    for d in doc['devices']:
        n = d['name']
        for key in [n] + d['aliases']:
            k = key.lower().replace(' ', '-').replace('_', '-')
            if seen.setdefault(k, n) != n:
                errors.append(f'{n}: name or alias {key} is also {seen[k]}')
        for i in (0, 1):
            if abs(d['css_screen'][i] - d['screen'][i] / d['dpr']) >= 1:
                errors.append(f'{n}: css_screen {d["css_screen"]} is not screen/dpr')
        if not (d['viewport'][0] == d['css_screen'][0] and d['viewport'][1] < d['css_screen'][1]):
            errors.append(f'{n}: viewport must be narrower than nothing and shorter than the screen')
        if d['device_memory'] not in (0.25, 0.5, 1, 2, 4, 8):
            errors.append(f'{n}: device_memory {d["device_memory"]}')
        if abs(d['dpi'] / 160 - d['dpr']) > 0.01:
            errors.append(f'{n}: dpr {d["dpr"]} is not dpi/160')
        for v, b in d['builds'].items():
            if f':{v}/' not in b['build_fingerprint']:
                errors.append(f'{n}: build for {v} does not name it')
    if net:
        errors += cross_check(doc, net)
    for e in errors:
        print(e)
    print(f'{len(doc["devices"])} devices, {len(errors)} problems')
    return not errors


def cross_check(doc, path):
    d = json.load(open(path))
    nodes = {n['name']: n for n in d['nodes']}

    def values(k):
        for v in nodes[k]['possibleValues']:
            yield json.loads(v[13:]) if isinstance(v, str) and v.startswith('*STRINGIFIED*') else v
    models = {o.get('model') for o in values('userAgentData') if isinstance(o, dict)}
    gpus = {(o.get('vendor'), o.get('renderer')) for o in values('videoCard') if isinstance(o, dict)}
    screens = {(o['width'], o['height'], o['devicePixelRatio']) for o in values('screen') if isinstance(o, dict)}
    notes = []
    for e in doc['devices']:
        seen = [e['model'] in models, (e['gpu']['vendor'], e['gpu']['renderer']) in gpus,
                (e['css_screen'][0], e['css_screen'][1], e['dpr']) in screens]
        print(f'{e["name"]:22} model={"seen" if seen[0] else "-":5} gpu={"seen" if seen[1] else "-":5} '
              f'screen={"seen" if seen[2] else "-"}')
    return notes


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'generate':
        generate()
    else:
        sys.exit(0 if check(sys.argv[2] if len(sys.argv) > 2 else None) else 1)
