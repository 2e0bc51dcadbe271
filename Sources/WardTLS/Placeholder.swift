public enum WardTLSPlaceholder {}
