public enum WardPolicyPlaceholder {}
