using TinkerServer.Domain.Common;

namespace TinkerServer.Domain.Sessions;

/// <summary>Identifies a client session. Server-issued ids are UUIDs; the grammar admits hosted-style ids.</summary>
public readonly record struct SessionId
{
    private SessionId(string value) => Value = value;

    public string Value { get; }

    public static SessionId New(Guid value) => new(value.ToString("D"));

    public static SessionId Parse(string? value) =>
        TryParse(value, out var id)
            ? id
            : throw new InvalidIdentifierException(
                $"Invalid session id '{Identifier.Describe(value)}': expected 1-{Identifier.MaxLength} characters of [A-Za-z0-9_:-].");

    public static bool TryParse(string? value, out SessionId id)
    {
        id = default;
        if (value is null || !Identifier.IsValidScopedId(value))
        {
            return false;
        }

        id = new SessionId(value);
        return true;
    }

    public override string ToString() => Value;
}
