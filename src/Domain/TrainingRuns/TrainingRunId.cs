using TinkerServer.Domain.Common;

namespace TinkerServer.Domain.TrainingRuns;

/// <summary>Identifies a training run (the SDK's "model id"), e.g. "3f2c…:train:0".</summary>
public readonly record struct TrainingRunId
{
    private TrainingRunId(string value) => Value = value;

    public string Value { get; }

    public static TrainingRunId Parse(string? value) =>
        TryParse(value, out var id)
            ? id
            : throw new InvalidIdentifierException(
                $"Invalid training run id '{Identifier.Describe(value)}': expected 1-{Identifier.MaxLength} characters of [A-Za-z0-9_:-].");

    public static bool TryParse(string? value, out TrainingRunId id)
    {
        id = default;
        if (value is null || !Identifier.IsValidScopedId(value))
        {
            return false;
        }

        id = new TrainingRunId(value);
        return true;
    }

    public static TrainingRunId ForSession(Sessions.SessionId session, long modelSeqId) =>
        Parse($"{session.Value}:train:{modelSeqId}");

    public override string ToString() => Value;
}
