namespace TinkerServer.Application.Abstractions;

/// <summary>Who is calling: owner of the runs and checkpoints the request may see.</summary>
public interface ICurrentCaller
{
    string Owner { get; }
}
