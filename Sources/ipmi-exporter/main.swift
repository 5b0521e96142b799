print("ipmi-exporter")
