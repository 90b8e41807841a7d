using TinkerServer.Domain.Common;

namespace TinkerServer.Domain.Checkpoints;

/// <summary>
/// The client-chosen name of a checkpoint ("final", "step_100"). Restricted to [A-Za-z0-9_-] so a name
/// can never name a file outside its run directory.
/// </summary>
public readonly record struct CheckpointName
{
    private CheckpointName(string value) => Value = value;

    public string Value { get; }

    public static CheckpointName Parse(string? value) =>
        TryParse(value, out var name)
            ? name
            : throw new InvalidIdentifierException(
                $"Invalid checkpoint name '{Identifier.Describe(value)}': expected 1-{Identifier.MaxLength} characters of [A-Za-z0-9_-].");

    public static bool TryParse(string? value, out CheckpointName name)
    {
        name = default;
        if (value is null || !Identifier.IsValidName(value))
        {
            return false;
        }

        name = new CheckpointName(value);
        return true;
    }

    public override string ToString() => Value;
}
