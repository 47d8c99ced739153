"""The demo province (Provinsi Jambi) loaded through the services' public APIs: `kinerja-demo [--asn N]`."""
