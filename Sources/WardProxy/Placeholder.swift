public enum WardProxyPlaceholder {}
