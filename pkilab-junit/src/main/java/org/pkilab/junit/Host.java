package org.pkilab.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the lab computer a {@link LabExtension} hands to a test parameter, by its computer name (any
 * case): {@code void enroll(@Host("PC01") DomainComputer pc01, @Host("IIS01") IisServer iis01)}. Without
 * it a parameter gets the lab's only computer of that type.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Host {

    /** The computer name, {@code IIS01}. */
    String value();
}
